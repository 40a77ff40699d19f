/**
 * Vitest global setup: the run leaves nothing behind in the system's temp folder.
 * The run gets a temp folder of its own (`TMPDIR`, which `os.tmpdir()` reads, and
 * which the workers and every child process inherit); after the run it fails naming
 * whatever a test left there, and removes the folder either way. A test that needs
 * a temp folder removes it when done.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** What tools keep there by design, not a test's leftover: Node's compile cache (npm turns it on). */
const TOOL_CACHES = new Set(["node-compile-cache"])

export default function setup() {
  const previous = process.env["TMPDIR"]
  const dir = mkdtempSync(join(tmpdir(), "orderops-test-run-"))
  process.env["TMPDIR"] = dir
  return () => {
    if (previous === undefined) delete process.env["TMPDIR"]
    else process.env["TMPDIR"] = previous
    const left = readdirSync(dir).filter((name) => !TOOL_CACHES.has(name))
    rmSync(dir, { recursive: true, force: true })
    if (left.length > 0) throw new Error(`tests left files in the temp folder (remove them when done): ${left.join(", ")}`)
  }
}
