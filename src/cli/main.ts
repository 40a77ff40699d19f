#!/usr/bin/env node
/**
 * The `orderops` executable's entry. ES modules link every static import before
 * any code runs, so a check inside the program would come after an old Node had
 * already failed on one of them: here it comes first, with one line on stderr
 * (exit 2), and the program (`run.ts`) is imported only after it passes.
 */
import { quietSqliteWarning, unsupportedNode } from "./node-support.ts"

const problem = unsupportedNode(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`orderops: ${problem}\n`)
  process.exitCode = 2
} else {
  quietSqliteWarning()
  await import("./run.ts")
}
