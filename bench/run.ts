/**
 * `npm run bench`: every benchmark of issues 5, 12, 15 and 19, each against a baseline
 * measured in the same run, printed as one table with the target and PASS or MISS.
 * Takes about four minutes (three with `DATABASE_URL` set). The benchmarks never run
 * in the test suite.
 */
import { arch, cpus, loadavg, totalmem } from "node:os"
import { coldStart } from "./cold-start.ts"
import { decodeBenchmark } from "./decode.ts"
import { dryRunBenchmarks } from "./dry-run.ts"
import { eventLatency } from "./events.ts"
import { flappingStream } from "./flapping.ts"
import { journalAtScale } from "./journal.ts"
import { cancelAllBenchmark, liveDurableOverhead, liveOverhead } from "./live.ts"
import { printTable, progress, type Row } from "./support.ts"

const benches: ReadonlyArray<readonly [string, () => Promise<Row | ReadonlyArray<Row>>]> = [
  ["(c)/(d) dry run", dryRunBenchmarks],
  ["(a) live layer overhead", liveOverhead],
  ["(i) live layer on a durable journal", liveDurableOverhead],
  ["(b) cancel-all", cancelAllBenchmark],
  ["(e) cold start", coldStart],
  ["(f)/(g)/(h) durable journal at scale", journalAtScale],
  ["(j) order-event latency", eventLatency],
  ["(k) order events on a flapping stream", flappingStream],
  ["(l) user-stream decode", decodeBenchmark]
]

/** The machine's load average (1, 5, 15 min): the machine is shared, so the figures are read against it. */
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")
const loadAtStart = load()
const rows: Array<Row> = []
const started = performance.now()
// `npm run bench -- live journal` runs the benchmarks whose name holds one of the words.
const only = process.argv.slice(2)
for (const [name, bench] of benches) {
  if (only.length > 0 && !only.some((word) => name.includes(word))) continue
  progress(`${name}...`)
  try {
    const result = await bench()
    rows.push(...(Array.isArray(result) ? result : [result as Row]))
  } catch (error) {
    rows.push({ name, baseline: "-", measured: "-", ratio: "-", target: "-", verdict: "SKIP", note: `failed: ${String(error)}` })
  }
}

const cpu = cpus()[0]?.model ?? "unknown CPU"
console.log(`orderops benchmarks: Node ${process.version}, ${cpu} x ${cpus().length} (${arch()}), ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM`)
console.log(`load average (1/5/15 min, ${cpus().length} cores): at start ${loadAtStart}, at end ${load()}`)
console.log("")
printTable(rows)
console.log("")
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`)
process.exitCode = 0
