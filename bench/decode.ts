/**
 * (k) User-stream frame decode: `decodeFrame` (src/layers/binance/UserStreamEvents.ts),
 * which parses and validates a frame, against `JSON.parse` of the same text, in
 * paired, alternating rounds over the frames a create+cancel and a fill send
 * (`executionReport` NEW, CANCELED and TRADE, `outboundAccountPosition`), as
 * Binance prints them. The figure is the median of the per-round ratios.
 */
import { decodeFrame } from "../src/layers/live/exchanges/binance/UserStreamEvents.ts"
import { median, ratio, type Row, spread, verdict } from "./support.ts"

const report = (x: string, X: string, fill: boolean): string =>
  JSON.stringify({
    e: "executionReport", E: 1765150000123, s: "HBARUSDT", c: x === "CANCELED" ? "web_cancel_1" : "oo_1a2b3c4d5e6f7a8b9c0d1e2f",
    S: "BUY", o: "LIMIT", f: "GTC", q: "100.00000000", p: "0.05000000", P: "0.00000000", F: "0.00000000", g: -1,
    C: x === "CANCELED" ? "oo_1a2b3c4d5e6f7a8b9c0d1e2f" : "", x, X, r: "NONE", i: 123456789,
    l: fill ? "100.00000000" : "0.00000000", z: fill ? "100.00000000" : "0.00000000", L: fill ? "0.05000000" : "0.00000000",
    n: fill ? "0.10000000" : "0", N: fill ? "HBAR" : null, T: 1765150000120, t: fill ? 4567 : -1, I: 9876, w: !fill,
    m: fill, M: fill, O: 1765150000100, Z: fill ? "5.00000000" : "0.00000000", Y: fill ? "5.00000000" : "0.00000000",
    Q: "0.00000000", W: 1765150000100, V: "NONE"
  })

const FRAMES: ReadonlyArray<string> = [
  report("NEW", "NEW", false),
  JSON.stringify({ e: "outboundAccountPosition", E: 1765150000124, u: 1765150000120, B: [{ a: "USDT", f: "995.00000000", l: "5.00000000" }] }),
  report("CANCELED", "CANCELED", false),
  JSON.stringify({ e: "outboundAccountPosition", E: 1765150000125, u: 1765150000121, B: [{ a: "USDT", f: "1000.00000000", l: "0.00000000" }] }),
  report("TRADE", "FILLED", true),
  JSON.stringify({
    e: "outboundAccountPosition", E: 1765150000126, u: 1765150000122,
    B: [{ a: "USDT", f: "995.00000000", l: "0.00000000" }, { a: "HBAR", f: "99.90000000", l: "0.00000000" }]
  })
]

const ROUNDS = 21
const PER_ROUND = 20_000

/** µs per frame over `PER_ROUND` passes of the frames through `f`. */
const timeRound = (f: (text: string) => unknown): number => {
  let sink = 0
  const start = performance.now()
  for (let i = 0; i < PER_ROUND; i++) {
    for (const frame of FRAMES) if (f(frame) !== undefined) sink++
  }
  const elapsed = performance.now() - start
  if (sink === 0) throw new Error("nothing decoded")
  return (elapsed * 1000) / (PER_ROUND * FRAMES.length)
}

export const decodeBenchmark = async (): Promise<Row> => {
  for (const frame of FRAMES) {
    const decoded = decodeFrame(frame)
    if (decoded._tag !== "Event") throw new Error(`a bench frame does not decode: ${JSON.stringify(decoded)}`)
  }
  timeRound(JSON.parse) // warm-up
  timeRound(decodeFrame)
  const parse: Array<number> = []
  const decode: Array<number> = []
  const ratios: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    let p: number
    let d: number
    if (r % 2 === 0) {
      p = timeRound(JSON.parse)
      d = timeRound(decodeFrame)
    } else {
      d = timeRound(decodeFrame)
      p = timeRound(JSON.parse)
    }
    parse.push(p)
    decode.push(d)
    ratios.push(d / p)
  }
  const r = median(ratios)
  return {
    name: "(k) user-stream frame decode vs JSON.parse",
    baseline: `${median(parse).toFixed(2)} µs`,
    measured: `${median(decode).toFixed(2)} µs`,
    ratio: ratio(r),
    target: "<= 2.00x",
    verdict: verdict(r <= 2),
    note: `decodeFrame (parse, validate every field, decimals exact) against JSON.parse of the same text; ${FRAMES.length} frames ` +
      `(executionReport NEW, CANCELED, TRADE and their outboundAccountPositions) as Binance prints them; median of per-round ratios ` +
      `over ${ROUNDS} paired rounds of ${PER_ROUND.toLocaleString("en-US")} passes, order alternating; per-round ratios ${spread(ratios, (x) => x.toFixed(2))}`
  }
}
