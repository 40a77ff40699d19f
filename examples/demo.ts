/**
 * `npm start`: the grid bot demo on the paper exchange. The bot itself, written
 * as a tutorial, is `src/examples/grid.ts` (it ships with the CLI as `orderops demo`).
 *
 *   npm start                          # 300 ticks, about 3 seconds
 *   npm start -- --ticks 3000 --seed 7 # a longer run on another price path
 *   npm start -- --log-format json     # log lines as JSON (or ORDEROPS_LOG_FORMAT=json)
 *
 * Log lines go to stderr, one per record. Ctrl-C (exit 130) or SIGTERM (exit 143)
 * stops it early; the order session cancels every order it placed.
 */
import { Effect } from "effect"
import { type GridOptions, runGridDemo } from "../src/examples/grid.ts"
import { runMain } from "../src/cli/runMain.ts"
import * as LogFormat from "../src/services/LogFormat.ts"

const value = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? undefined : process.argv[i + 1]
}
const flag = (name: string): number | undefined => {
  const n = Number(value(name))
  return value(name) !== undefined && Number.isFinite(n) ? n : undefined
}
const options: GridOptions = Object.fromEntries(
  Object.entries({ ticks: flag("ticks"), seed: flag("seed"), tickMillis: flag("tick-ms") }).filter(([, v]) => v !== undefined)
)
const format = value("log-format")
const logs = format === "json" || format === "line" ? LogFormat.layer(format) : LogFormat.layerFromConfig

runMain(runGridDemo(options).pipe(Effect.provide(logs)))
