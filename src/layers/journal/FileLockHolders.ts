/**
 * Which other processes hold write locks on a file, where the system says: on Linux
 * `/proc/locks` lists every POSIX lock (SQLite's kind) with the holder's pid and the
 * file's inode. Used to name the holder when a journal is locked at start; elsewhere,
 * or when the holder is in another pid namespace, the answer is empty and the error
 * says only that the file is locked.
 *
 * Only a process's name (`/proc/<pid>/comm`) is read, never its command line, which
 * may carry secrets.
 */
import { readFileSync, statSync } from "node:fs"

export interface LockHolder {
  readonly pid: number
  /** The process's name, e.g. `node`, `sqlite3`; undefined when it cannot be read. */
  readonly name: string | undefined
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined // no /proc (not Linux), or the process is gone: nothing to name
  }
}

const inodeOf = (path: string): number | undefined => {
  try {
    return statSync(path).ino
  } catch {
    return undefined // the file does not exist (no -shm before WAL is used): nobody locks it
  }
}

/**
 * The processes other than this one holding a write lock on any of `paths` (SQLite
 * locks the database file, and in WAL mode its `-shm` file), from `/proc/locks`.
 */
export const writeLockHolders = (paths: ReadonlyArray<string>): ReadonlyArray<LockHolder> => {
  const inodes = new Set(paths.map(inodeOf).filter((i) => i !== undefined))
  const table = inodes.size === 0 ? undefined : readText("/proc/locks")
  if (table === undefined) return []
  const pids = new Set<number>()
  for (const line of table.split("\n")) {
    // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 120 120"; waiting locks ("1: -> POSIX ...") hold nothing.
    const fields = line.trim().split(/\s+/)
    if (fields[1] === "->" || fields[3] !== "WRITE") continue
    const pid = Number(fields[4])
    const inode = Number(fields[5]?.split(":")[2])
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && inodes.has(inode)) pids.add(pid)
  }
  return [...pids].map((pid) => ({ pid, name: readText(`/proc/${pid}/comm`)?.trim() }))
}

/** `pid 4242 (node)`, for messages. */
export const describeHolders = (holders: ReadonlyArray<LockHolder>): string =>
  holders.map((h) => `pid ${h.pid}${h.name === undefined ? "" : ` (${h.name})`}`).join(", ")
