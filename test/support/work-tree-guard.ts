/**
 * Vitest global setup: no test may write into the work tree. Before the run it
 * notes every file git does not track (untracked or ignored, outside
 * node_modules) with its size and mtime; after the run it compares, and fails the
 * run naming each such file a test created, changed or deleted. Tracked files are
 * left out so that editing the sources during a run is not taken for a test's
 * write. Outside a git checkout (an unpacked tarball) it does nothing.
 */
import { execFileSync } from "node:child_process"
import { readdirSync, statSync } from "node:fs"
import { join, relative, resolve } from "node:path"

const root = resolve(import.meta.dirname, "../..")

/** Paths the run itself writes: vitest's JSON report for `.ci/run`. */
const ownOutput = (path: string) =>
  process.env["VITEST_JSON_REPORT"] !== undefined && resolve(root, path) === resolve(process.env["VITEST_JSON_REPORT"])

const walk = (path: string, into: Map<string, string>): void => {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) return
  if (stat.isDirectory()) {
    for (const name of readdirSync(path)) walk(join(path, name), into)
    return
  }
  const rel = relative(root, path)
  if (!ownOutput(rel)) into.set(rel, `${stat.size}:${stat.mtimeMs}`)
}

/** Every file git does not track, with its size and mtime, keyed by path. */
const snapshot = (): Map<string, string> | undefined => {
  let status: string
  try {
    status = execFileSync("git", ["status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=all"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"]
    })
  } catch {
    return undefined
  }
  const files = new Map<string, string>()
  for (const entry of status.split("\0").filter((e) => e.length > 3)) {
    const code = entry.slice(0, 2)
    const path = entry.slice(3)
    if (path === "node_modules" || path.startsWith("node_modules/")) continue
    if (code === "??" || code === "!!") walk(join(root, path), files)
  }
  return files
}

export default function setup() {
  const before = snapshot()
  return () => {
    if (before === undefined) return
    const after = snapshot()!
    const changed = [...new Set([...before.keys(), ...after.keys()])]
      .filter((path) => before.get(path) !== after.get(path))
      .sort()
    if (changed.length > 0) {
      throw new Error(`tests wrote into the work tree (use a temp dir): ${changed.join(", ")}`)
    }
  }
}
