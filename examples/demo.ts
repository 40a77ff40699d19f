/**
 * `npm start`: the grid bot demo on the paper exchange. The bot itself, written
 * as a tutorial, is `src/examples/grid.ts` (it ships with the CLI as `orderops demo`).
 *
 *   npm start                          # 300 ticks, about 3 seconds
 *   npm start -- --ticks 3000 --seed 7 # a longer run on another price path
 *
 * Ctrl-C stops it early; the order session cancels every order it placed.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { type GridOptions, runGridDemo } from "../src/examples/grid.ts"

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  const value = i < 0 ? undefined : Number(process.argv[i + 1])
  return value !== undefined && Number.isFinite(value) ? value : undefined
}
const options: GridOptions = Object.fromEntries(
  Object.entries({ ticks: flag("ticks"), seed: flag("seed"), tickMillis: flag("tick-ms") }).filter(([, v]) => v !== undefined)
)

runGridDemo(options).pipe(NodeRuntime.runMain)
