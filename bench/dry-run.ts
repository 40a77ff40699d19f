/**
 * (c) dry-run create-and-cancel pairs per second, and (d) dry-run price ticks per
 * second with 200 resting orders. In-process, through the public `Exchange` and
 * `DryRunMarket` services, with the in-memory journal and log lines at Warn (so
 * the per-order info lines are filtered, as a bot running this fast would).
 */
import { Effect, References } from "effect"
import { DryRunExchangeLayer, DryRunMarket, Exchange } from "../src/index.ts"
import { median, type Row, verdict } from "./support.ts"

const run = <A>(effect: Effect.Effect<A, unknown, Exchange | DryRunMarket>, balances: Record<string, number>, events?: false) =>
  Effect.runPromise(
    effect.pipe(
      Effect.provide(DryRunExchangeLayer({ price: 0.1, balances, ...(events === false ? { events } : {}) })),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  )

/** Pairs per second: each pair is `createLimitBuy` then `cancelOrder` of that id. */
const pairsPerSecond = (pairs: number) =>
  Effect.gen(function*() {
    const ex = yield* Exchange
    const once = Effect.flatMap(ex.createLimitBuy(0.05, 100), (id) => ex.cancelOrder(id))
    for (let i = 0; i < 5_000; i++) yield* once // warm-up
    const rounds: Array<number> = []
    for (let r = 0; r < 7; r++) {
      const start = performance.now()
      for (let i = 0; i < pairs; i++) yield* once
      rounds.push(pairs / ((performance.now() - start) / 1000))
    }
    return rounds
  })

/** Ticks per second with 200 resting orders that the price moves around without crossing. */
const ticksPerSecond = (ticks: number) =>
  Effect.gen(function*() {
    const ex = yield* Exchange
    const market = yield* DryRunMarket
    for (let i = 0; i < 100; i++) {
      yield* ex.createLimitBuy(0.05 - i * 0.0001, 100) // 0.0401 .. 0.05
      yield* ex.createLimitSell(0.15 + i * 0.0001, 100) // 0.15 .. 0.1599
    }
    const resting = (yield* ex.fetchOpenOrders()).length
    const path = Array.from({ length: 1000 }, (_, i) => 0.1 + 0.01 * Math.sin(i / 20))
    for (let i = 0; i < 2_000; i++) yield* market.setPrice(path[i % path.length]!) // warm-up
    const rounds: Array<number> = []
    for (let r = 0; r < 3; r++) {
      const start = performance.now()
      for (let i = 0; i < ticks; i++) yield* market.setPrice(path[i % path.length]!)
      rounds.push(ticks / ((performance.now() - start) / 1000))
    }
    const still = (yield* ex.fetchOpenOrders()).length
    return { rounds, resting, still }
  })

export const dryRunBenchmarks = async (): Promise<ReadonlyArray<Row>> => {
  const pairs = median(await run(pairsPerSecond(20_000), { USDT: 1_000_000 }))
  const pairsWithoutEvents = median(await run(pairsPerSecond(20_000), { USDT: 1_000_000 }, false))
  const ticks = await run(ticksPerSecond(20_000), { USDT: 1_000_000, HBAR: 1_000_000 })
  if (ticks.resting !== 200 || ticks.still !== 200) throw new Error(`expected 200 resting orders, had ${ticks.resting}/${ticks.still}`)
  const tickRate = median(ticks.rounds)
  return [
    {
      name: "(c) dry-run create+cancel pairs/s",
      baseline: "-",
      measured: `${Math.round(pairs).toLocaleString("en-US")} pairs/s`,
      ratio: `${(pairs / 50_000).toFixed(2)}x of target`,
      target: ">= 50,000/s",
      verdict: verdict(pairs >= 50_000),
      note: "median of 7 rounds of 20,000 pairs after 5,000 warm-up pairs; memory journal; logs at Warn; the layer's defaults, order events on"
    },
    {
      name: "    same, events: false",
      baseline: "-",
      measured: `${Math.round(pairsWithoutEvents).toLocaleString("en-US")} pairs/s`,
      ratio: `${(pairs / pairsWithoutEvents).toFixed(2)}x with events`,
      target: "reference",
      verdict: "INFO",
      note: "the row above without order events: the dry run's event source delivers each order's placement and cancel to the engine, which the engine already has from the answers"
    },
    {
      name: "(d) dry-run price ticks/s, 200 resting",
      baseline: "-",
      measured: `${Math.round(tickRate).toLocaleString("en-US")} ticks/s`,
      ratio: "-",
      target: "report",
      verdict: "INFO",
      note: "100 buys below and 100 sells above a price that moves without crossing them; median of 3 x 20,000 ticks"
    }
  ]
}
