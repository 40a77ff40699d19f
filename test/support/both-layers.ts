/**
 * The dry run and the live layer side by side, for the tests that hold them to the
 * same verdict on the same input (`inputs.test.ts`, `inputs-property.test.ts`):
 * each over a memory journal the test reads, the live one on a loopback Binance.US
 * server whose requests the test counts. Order events are off on both, so that no
 * poll adds requests between two calls: every request is the call's.
 */
import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import { DryRunExchangeLayer, DryRunMarket } from "../../src/layers/dryrun/DryRun.ts"
import { Exchange } from "../../src/services/Exchange.ts"
import { OrderJournal } from "../../src/services/OrderJournal.ts"
import type { ExchangeFailure } from "../../src/errors/index.ts"
import { type BinanceServer, binanceServer } from "./BinanceServer.ts"
import { fastLiveLayer } from "./live-layer.ts"

const CREDENTIALS = { apiKey: "inputs-key-0123456789abcdef", secret: "inputs-secret-FEDCBA9876543210" }

export interface Side {
  readonly name: "dry run" | "live"
  readonly context: Context.Context<Exchange | OrderJournal>
  /** Requests the exchange has seen (always 0 for the dry run, which makes none). */
  readonly requests: () => number
  /** The requests that were not public price reads (a market order's notional needs the last price). */
  readonly privateRequests: () => number
  /** Back to 1000 USDT, no HBAR and nothing open, at price 0.1. */
  readonly reset: Effect.Effect<void>
}

/** The two layers, built for the enclosing scope: HBAR/USDT at 0.1, 1000 USDT, fees 0.1% on both. */
export const bothLayers = Effect.gen(function*() {
  const server: BinanceServer = yield* binanceServer({ ...CREDENTIALS, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" }, feeRate: "0.001", requestLogLimit: 1_000_000 })
  const liveJournal = OrderJournal.layerMemory
  const live = yield* Layer.build(Layer.merge(fastLiveLayer(server, CREDENTIALS, { journal: liveJournal, events: false }), liveJournal))
  const dryJournal = OrderJournal.layerMemory
  const dry = yield* Layer.build(Layer.merge(DryRunExchangeLayer({ price: 0.1, journal: dryJournal, events: false }), dryJournal))
  const market = Context.get(dry, DryRunMarket)
  const cancelAll = (context: Context.Context<Exchange>) =>
    Exchange.use((ex) => Effect.all([ex.cancelAllBuyOrders(), ex.cancelAllSellOrders()])).pipe(Effect.provide(context), Effect.orDie)
  const isPublic = (path: string) => path.includes("ticker") || path.includes("exchangeInfo") || path.includes("/time")
  const sides: ReadonlyArray<Side> = [
    {
      name: "dry run",
      context: dry,
      requests: () => 0,
      privateRequests: () => 0,
      reset: cancelAll(dry).pipe(
        Effect.andThen(market.setBalance("USDT", 1000)),
        Effect.andThen(market.setBalance("HBAR", 0)),
        Effect.andThen(market.setPrice(0.1)),
        Effect.orDie,
        Effect.asVoid
      )
    },
    {
      name: "live",
      context: live,
      requests: () => server.counters().requests,
      privateRequests: () => server.requestLog().filter((r) => !isPublic(r.path)).length,
      reset: cancelAll(live).pipe(
        Effect.andThen(Effect.sync(() => {
          server.setBalance("USDT", "1000")
          server.setBalance("HBAR", "0")
          server.setPrice("HBARUSDT", "0.1")
        })),
        Effect.andThen(Exchange.use((ex) => ex.sync).pipe(Effect.provide(live), Effect.orDie)),
        Effect.asVoid
      )
    }
  ]
  return { server, sides }
})

/** How many entries a side's journal holds. */
export const journalSize = (side: Side) =>
  OrderJournal.use((j) => j.entries()).pipe(Effect.map((e) => e.length), Effect.provide(side.context), Effect.orDie)

/**
 * A call's verdict: `ok`, or its typed failure's tag (with the rule and field of a
 * `ValidationError` and the reason of an `ExchangeError`); `defect: …` when it died.
 */
export const verdictOf = (exit: Exit.Exit<unknown, ExchangeFailure>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isNone(failure) || Cause.hasDies(exit.cause)) return `defect: ${Cause.pretty(exit.cause).slice(0, 300)}`
  const e = failure.value
  if (e._tag === "ValidationError") return `ValidationError ${e.rule} ${e.field}`
  if (e._tag === "ExchangeError") return `ExchangeError ${e.reason}`
  return e._tag
}

/** Whether a verdict is a refusal at the boundary (the input is of no accepted kind). */
export const refusedAtBoundary = (exit: Exit.Exit<unknown, ExchangeFailure>): boolean =>
  Exit.isFailure(exit) &&
  Option.match(Cause.findErrorOption(exit.cause), { onNone: () => false, onSome: (e) => e._tag === "ValidationError" && e.accepted !== undefined })

/** Runs `call` on `side`: its exit, and the requests and journal entries it added. */
export const runOn = <A>(side: Side, call: Effect.Effect<A, ExchangeFailure, Exchange>) =>
  Effect.gen(function*() {
    const requests = side.requests()
    const privateRequests = side.privateRequests()
    const entries = yield* journalSize(side)
    const exit = yield* Effect.exit(Effect.provide(call, side.context))
    return {
      exit,
      verdict: verdictOf(exit),
      requests: side.requests() - requests,
      privateRequests: side.privateRequests() - privateRequests,
      journaled: (yield* journalSize(side)) - entries
    }
  })
