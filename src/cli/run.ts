/**
 * The `orderops` program, imported by the entry `main.ts` once the Node version
 * is known to be good. Runs one command line (see `commands.ts`) under
 * `runMain`, so Ctrl-C (SIGINT) and SIGTERM interrupt it cleanly (exit 130 and
 * 143), and exits with the command's code: 0, 1 (bad input) or 2.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Runtime } from "effect"
import { runCli } from "./commands.ts"
import { runMain } from "./runMain.ts"

// A reader that goes away (`orderops demo | head`) ends the run quietly: the
// program stops as on Ctrl-C, so its cleanup runs, nothing more is written and
// nothing is reported, and the exit code is 0.
let readerGone = false
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error
  if (readerGone) return
  readerGone = true
  process.on("exit", () => {
    process.exitCode = 0
  })
  process.kill(process.pid, "SIGINT")
})

const program = runCli(process.argv.slice(2)).pipe(
  Effect.flatMap((code) =>
    code === 0
      ? Effect.void
      // The failure was reported already; this only carries the exit code to runMain.
      : Effect.fail({ [Runtime.errorExitCode]: code, [Runtime.errorReported]: false })
  ),
  Effect.provide(NodeServices.layer)
)
runMain(program, { disableErrorReporting: true })
