/**
 * Runs a test script (test/support/*.ts) as a real child process on the project's
 * Node (node_modules/.bin/node), collects the `MARK ...` lines it prints, and kills
 * it. For the crash tests: every wait is bounded, and a timeout reports what the
 * child printed on stderr.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"
import { createInterface } from "node:readline"

const root = join(import.meta.dirname, "..", "..")
export const nodeBin = join(root, "node_modules", ".bin", "node")

export interface Child {
  readonly process: ChildProcess
  /** `MARK` lines so far, without the prefix. */
  readonly marks: ReadonlyArray<string>
  /** Resolves with the first mark starting with `prefix` (already seen or coming). */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>
  /** SIGKILL, then the exit: resolves with the signal that ended the process. */
  kill(): Promise<NodeJS.Signals | null>
  readonly stderr: () => string
}

export const startChild = (script: string, env: Record<string, string>): Child => {
  const child = spawn(nodeBin, [join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const marks: Array<string> = []
  const waiters = new Set<() => void>()
  let stderr = ""
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      exit = { code, signal }
      resolve(exit)
      for (const w of waiters) w()
    })
  )
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
  })
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("MARK ")) marks.push(line.slice(5))
    for (const w of waiters) w()
  })
  return {
    process: child,
    marks,
    stderr: () => stderr,
    waitFor: (prefix, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = marks.find((m) => m.startsWith(prefix))
          if (hit !== undefined) return done(() => resolve(hit))
          if (exit !== undefined) {
            return done(() =>
              reject(new Error(`child exited (${exit?.code ?? exit?.signal}) before "${prefix}"; marks ${JSON.stringify(marks)}; stderr:\n${stderr}`))
            )
          }
        }
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`no "${prefix}" from the child within ${timeoutMs} ms; marks ${JSON.stringify(marks)}; stderr:\n${stderr}`))
            ),
          timeoutMs
        )
        const done = (f: () => void) => {
          clearTimeout(timer)
          waiters.delete(check)
          f()
        }
        waiters.add(check)
        check()
      }),
    kill: async () => {
      if (exit === undefined) child.kill("SIGKILL")
      return (await exited).signal
    }
  }
}
