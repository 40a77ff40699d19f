/**
 * How an orderops process (the `orderops` command, the demo) runs its program and
 * ends: under `NodeRuntime.runMain`, so Ctrl-C and SIGTERM interrupt it and its
 * cleanup runs (an order session cancels its orders), with the exit code a shell
 * expects of the signal that stopped it: 130 for SIGINT (Ctrl-C), 143 for SIGTERM
 * (128 + the signal's number). `runMain` alone gives 130 for both.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { type Effect, Runtime } from "effect"

/** The exit code of a run interrupted by each signal. */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const

type StopSignal = keyof typeof SIGNAL_EXIT_CODES

/**
 * Runs `effect` as the process's main program. The first SIGINT or SIGTERM is
 * noted, runMain interrupts the program on it, and an interrupted run exits with
 * that signal's code.
 */
export const runMain = <E, A>(effect: Effect.Effect<A, E>, options: { readonly disableErrorReporting?: boolean } = {}): void => {
  let stoppedBy: StopSignal | undefined
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as Array<StopSignal>) {
    process.once(signal, () => {
      stoppedBy ??= signal
    })
  }
  const teardown: Runtime.Teardown = (exit, onExit) =>
    Runtime.defaultTeardown(exit, (code) => onExit(code === SIGNAL_EXIT_CODES.SIGINT && stoppedBy !== undefined ? SIGNAL_EXIT_CODES[stoppedBy] : code))
  NodeRuntime.runMain(effect, { ...options, teardown })
}
