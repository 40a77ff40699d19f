/**
 * The dry run's event source, at the venue: the `Stream<VenueUpdate>` that
 * `DryRunVenueLayer`'s `Venue.updates` gives, which the engine turns into order
 * events. Each change the simulator makes to an order (placed, filled at placement,
 * filled or partly filled by a price move, triggered, cancelled, expired with its OCO
 * partner) must come out once, in the order it happened, with its trade for a fill;
 * and the reads must agree with it (`triggered`), at the venue and through the
 * `Exchange`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, type Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { createStopLossLimit, DryRunExchangeLayer, fetchOpenOrders, fetchOrder, subscribeOrderEvents } from "../src/index.ts"
import { JournalError } from "../src/errors/JournalError.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { DRY_RUN_VENUE_ID, DryRunMarket, type DryRunOptions, DryRunVenueLayer } from "../src/layers/dryrun/DryRun.ts"
import { UPDATE_BUFFER } from "../src/layers/dryrun/Events.ts"
import { ActiveOrders } from "../src/services/ActiveOrders.ts"
import * as D from "../src/services/Decimal.ts"
import { OrderJournal } from "../src/services/OrderJournal.ts"
import type { OrderSide, OrderType } from "../src/services/OrderRecord.ts"
import { type SubmitOrder, Venue, type VenueUpdate } from "../src/services/Venue.ts"

const SYMBOL = "HBAR/USDT"

/** The dry-run venue on `journal`, at 0.1 with 1000 USDT and 1000 HBAR unless `options` say otherwise. */
const venueLayer = (options: DryRunOptions = {}, journal: Layer.Layer<OrderJournal, JournalError> = OrderJournal.layerMemory) =>
  DryRunVenueLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 1000 }, ...options }).pipe(
    Layer.provideMerge(ActiveOrders.layerFor(DRY_RUN_VENUE_ID).pipe(Layer.provideMerge(journal)))
  )

let clientIds = 0
const order = (side: OrderSide, type: OrderType, quantity: number, price?: string, triggerPrice?: string): SubmitOrder => ({
  clientOrderId: `oo_events_${++clientIds}`,
  symbol: SYMBOL,
  side,
  type,
  price: Option.map(Option.fromNullishOr(price), D.unsafe),
  triggerPrice: Option.map(Option.fromNullishOr(triggerPrice), D.unsafe),
  quantity: D.unsafe(quantity)
})

/** One update in a line: `id type status filled [triggered|waiting] [| qty @ price fee asset maker|taker]`. */
const line = (u: VenueUpdate): string => {
  if (u._tag === "State") return `State ${u.state}`
  if (u._tag === "Gap") return "Gap"
  const o = u.order
  const trigger = o.triggered === undefined ? "" : o.triggered ? " triggered" : " waiting"
  const trade = Option.match(u.trade, {
    onNone: () => "",
    onSome: (t) => ` | ${D.format(t.quantity)} @ ${D.format(t.price)} fee ${D.format(t.fee)} ${t.feeAsset} ${t.maker ? "maker" : "taker"}`
  })
  return `${o.id} ${o.type} ${o.status} ${D.format(o.filled)}${trigger}${trade}`
}

/**
 * Runs the venue's source of `symbol` (for the scope) and takes its first update,
 * which must say it is connected (the source subscribes when first pulled). Then
 * `next` gives the updates offered since the last call, all of them and no more (a
 * pull that finds nothing within a millisecond of test time ends it).
 */
const source = (symbol = SYMBOL): Effect.Effect<{ readonly next: Effect.Effect<ReadonlyArray<VenueUpdate>> }, never, Venue | Scope.Scope> =>
  Effect.gen(function*() {
    const venue = yield* Venue
    const updates = Option.getOrThrow(venue.updates)(symbol)
    const pull = yield* Stream.toPull(updates)
    const next = Effect.gen(function*() {
      const out: Array<VenueUpdate> = []
      while (true) {
        const fiber = yield* Effect.forkChild(Effect.timeoutOption(Effect.orDie(pull), "1 millis"))
        yield* TestClock.adjust("1 millis")
        const got = yield* Fiber.join(fiber)
        if (Option.isNone(got)) return out
        out.push(...got.value)
      }
    })
    assert.deepStrictEqual((yield* next).map(line), ["State connected"])
    return { next }
  })

const setExchangePrice = (p: number) => DryRunMarket.use((m) => m.setPrice(p))

/** The venue, the market handle and a running source of HBAR/USDT (`source`), for one test. */
const running = Effect.gen(function*() {
  const venue = yield* Venue
  const market = yield* DryRunMarket
  return { venue, market, ...(yield* source()) }
})

const lines = (next: Effect.Effect<ReadonlyArray<VenueUpdate>>) => Effect.map(next, (us) => us.map(line))

describe("dry run: the venue's event source", () => {
  it.effect("starts connected; a resting limit buy is placed, then filled as a maker when the price crosses it", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
      yield* market.setPrice(0.095) // does not reach it
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 limit open 0"])
      yield* market.setPrice(0.089)
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 limit closed 100 | 100 @ 0.09 fee 0.1 HBAR maker"])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("an order filled at placement is reported open first, then filled as a taker: a crossing limit buy and a market sell", () =>
    Effect.gen(function*() {
      const { next, venue } = yield* running
      yield* venue.submit("test", order("buy", "limit", 100, "0.11"))
      yield* venue.submit("test", order("sell", "market", 50))
      assert.deepStrictEqual(yield* lines(next), [
        "dry_run_1 limit open 0",
        "dry_run_1 limit closed 100 | 100 @ 0.1 fee 0.1 HBAR taker",
        "dry_run_2 market open 0",
        "dry_run_2 market closed 50 | 50 @ 0.1 fee 0.005 USDT taker"
      ])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("partial fills under setDepth come as one update per trade, the same trades the venue's reads give", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      yield* venue.submit("test", order("sell", "limit", 100, "0.12"))
      yield* market.setDepth(40)
      yield* market.setPrice(0.12)
      yield* market.setPrice(0.121)
      yield* market.setDepth(undefined)
      yield* market.setPrice(0.12)
      const updates = yield* next
      assert.deepStrictEqual(updates.map(line), [
        "dry_run_1 limit open 0",
        "dry_run_1 limit open 40 | 40 @ 0.12 fee 0.0048 USDT maker",
        "dry_run_1 limit open 80 | 40 @ 0.12 fee 0.0048 USDT maker",
        "dry_run_1 limit closed 100 | 20 @ 0.12 fee 0.0024 USDT maker"
      ])
      const traded = updates.flatMap((u) => (u._tag === "Order" ? Option.toArray(u.trade) : []))
      assert.deepStrictEqual(traded, yield* venue.trades("test", SYMBOL))
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("a market order the depth cap leaves unfilled: one trade, then expired", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      yield* market.setDepth(30)
      yield* venue.submit("test", order("sell", "market", 50))
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 market open 0", "dry_run_1 market expired 30 | 30 @ 0.1 fee 0.003 USDT taker"])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("a cancel is reported canceled, after the partial fill before it", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      const placed = yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
      yield* market.setDepth(25)
      yield* market.setPrice(0.09)
      yield* venue.cancel("test", SYMBOL, placed.id)
      assert.deepStrictEqual(yield* lines(next), [
        "dry_run_1 limit open 0",
        "dry_run_1 limit open 25 | 25 @ 0.09 fee 0.025 HBAR maker",
        "dry_run_1 limit canceled 25"
      ])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("a stop-loss-limit waits (triggered false), triggers (true, before any fill), then fills; the reads agree at each step", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      // A sell stop at 0.09 with its limit at 0.092: the trigger price is below the limit, so it rests once triggered.
      const placed = yield* venue.submit("test", order("sell", "stop-loss-limit", 100, "0.092", "0.09"))
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 stop-loss-limit open 0 waiting"])
      assert.strictEqual((yield* venue.openOrders("test", SYMBOL))[0]?.triggered, false)
      yield* market.setPrice(0.09)
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 stop-loss-limit open 0 triggered"])
      assert.strictEqual((yield* venue.fetchOrder("test", SYMBOL, placed.id)).triggered, true)
      yield* market.setPrice(0.092)
      assert.deepStrictEqual(yield* lines(next), ["dry_run_1 stop-loss-limit closed 100 triggered | 100 @ 0.092 fee 0.0092 USDT maker"])
      assert.strictEqual((yield* venue.fetchOrder("test", SYMBOL, placed.id)).triggered, true)
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("a stop-loss-limit whose trigger and limit are met by one price: triggered, then filled as a taker", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      yield* venue.submit("test", order("sell", "stop-loss-limit", 100, "0.089", "0.09"))
      yield* market.setPrice(0.09)
      assert.deepStrictEqual(yield* lines(next), [
        "dry_run_1 stop-loss-limit open 0 waiting",
        "dry_run_1 stop-loss-limit open 0 triggered",
        "dry_run_1 stop-loss-limit closed 100 triggered | 100 @ 0.09 fee 0.009 USDT taker"
      ])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  const OCO_SELL = {
    symbol: SYMBOL,
    side: "sell",
    quantity: D.unsafe(100),
    price: D.unsafe("0.12"),
    triggerPrice: D.unsafe("0.09"),
    stopLimitPrice: Option.some(D.unsafe("0.089")),
    listClientOrderId: "oo_list",
    limitClientOrderId: "oo_list_limit",
    stopClientOrderId: "oo_list_stop"
  } as const

  it.effect("an OCO: both legs placed; the limit leg fills and the stop leg expires, never triggered", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      const list = yield* Option.getOrThrow(venue.oco).submit("test", OCO_SELL)
      yield* market.setPrice(0.12)
      assert.deepStrictEqual(yield* lines(next), [
        "dry_run_1 limit-maker open 0",
        "dry_run_2 stop-loss-limit open 0 waiting",
        "dry_run_1 limit-maker closed 100 | 100 @ 0.12 fee 0.012 USDT maker",
        "dry_run_2 stop-loss-limit expired 0 waiting"
      ])
      assert.strictEqual((yield* venue.fetchOrder("test", SYMBOL, list.stop.id)).triggered, false)
    }).pipe(Effect.scoped, Effect.provide(venueLayer({ markets: { [SYMBOL]: { tickSize: "0.00001", stepSize: "1", minNotional: "1", ocoAllowed: true } } }))))

  it.effect("an OCO whose stop triggers: the stop leg triggers, the limit leg expires, then the stop fills", () =>
    Effect.gen(function*() {
      const { market, next, venue } = yield* running
      yield* Option.getOrThrow(venue.oco).submit("test", OCO_SELL)
      yield* market.setPrice(0.09)
      assert.deepStrictEqual(yield* lines(next), [
        "dry_run_1 limit-maker open 0",
        "dry_run_2 stop-loss-limit open 0 waiting",
        "dry_run_2 stop-loss-limit open 0 triggered",
        "dry_run_1 limit-maker expired 0",
        "dry_run_2 stop-loss-limit closed 100 triggered | 100 @ 0.09 fee 0.009 USDT taker"
      ])
    }).pipe(Effect.scoped, Effect.provide(venueLayer({ markets: { [SYMBOL]: { tickSize: "0.00001", stepSize: "1", minNotional: "1", ocoAllowed: true } } }))))

  it.effect("every running source gets every update of its own symbol, and none of another's", () =>
    Effect.gen(function*() {
      const venue = yield* Venue
      const a = yield* source()
      const b = yield* source()
      const btc = yield* source("BTC/USDT")
      yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
      assert.deepStrictEqual(yield* lines(a.next), ["dry_run_1 limit open 0"])
      assert.deepStrictEqual(yield* lines(b.next), ["dry_run_1 limit open 0"])
      assert.deepStrictEqual(yield* lines(btc.next), [])
    }).pipe(Effect.scoped, Effect.provide(venueLayer({ markets: { "BTC/USDT": { tickSize: "0.01", stepSize: "0.00001" } } }))))

  it.effect("a consumer that falls behind never stalls the simulator: the buffer keeps what fits, then one Gap, then what comes after it has room", () =>
    Effect.gen(function*() {
      const { next, venue } = yield* running
      const rounds = UPDATE_BUFFER / 2 + 10 // each round is two updates: placed, cancelled
      for (let i = 0; i < rounds; i++) {
        const placed = yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
        yield* venue.cancel("test", SYMBOL, placed.id)
      }
      const behind = yield* next
      assert.strictEqual(behind.length, UPDATE_BUFFER + 1)
      assert.deepStrictEqual(behind.slice(-3).map(line), [`dry_run_${UPDATE_BUFFER / 2} limit open 0`, `dry_run_${UPDATE_BUFFER / 2} limit canceled 0`, "Gap"])
      assert.strictEqual(behind.filter((u) => u._tag === "Gap").length, 1)
      const after = yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
      assert.deepStrictEqual(yield* lines(next), [`${after.id} limit open 0`])
    }).pipe(Effect.scoped, Effect.provide(venueLayer())))

  it.effect("a change whose save fails is not offered: the source gets a Gap (reconcile), and the next saved change comes as usual", () => {
    let failWrites = false
    const flaky = Layer.effect(
      OrderJournal,
      Effect.map(OrderJournal, (j) => ({
        ...j,
        paper: {
          ...j.paper,
          write: (change, now) =>
            failWrites ? Effect.fail(new JournalError({ operation: "paper.write", location: "memory", detail: "disk full" })) : j.paper.write(change, now)
        }
      }))
    ).pipe(Layer.provide(OrderJournal.layerMemory))
    return Effect.gen(function*() {
      const { next, venue } = yield* running
      failWrites = true
      const error = yield* Effect.flip(venue.submit("test", order("buy", "limit", 100, "0.09")))
      assert.strictEqual(error._tag, "JournalError")
      failWrites = false
      yield* venue.submit("test", order("buy", "limit", 100, "0.08"))
      assert.deepStrictEqual(yield* lines(next), ["Gap", "dry_run_2 limit open 0"])
    }).pipe(Effect.scoped, Effect.provide(venueLayer({}, flaky)))
  })

  it.effect("the dry run's layer released, its sources end", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.gen(function*() {
        const venue = yield* Venue
        const connected = yield* Deferred.make<void>()
        const updates = Option.getOrThrow(venue.updates)(SYMBOL).pipe(Stream.tap(() => Deferred.succeed(connected, undefined)))
        const running = yield* Effect.forkDetach(Stream.runCollect(updates))
        yield* Deferred.await(connected)
        yield* venue.submit("test", order("buy", "limit", 100, "0.09"))
        return running
      }).pipe(Effect.provide(venueLayer()))
      assert.deepStrictEqual((yield* Fiber.join(fiber)).map(line), ["State connected", "dry_run_1 limit open 0"])
    }))
})

describe("dry run: triggered across sessions", () => {
  it.live("a trigger order resumed from a journal file keeps what the source said: working once triggered, on open and finished reads", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-dry-events-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const onFile = venueLayer({}, SqliteJournalLayer(join(dir, "journal.sqlite")))
      const [waiting, working] = yield* Effect.gen(function*() {
        const venue = yield* Venue
        const a = yield* venue.submit("test", order("sell", "stop-loss-limit", 100, "0.092", "0.08"))
        const b = yield* venue.submit("test", order("sell", "stop-loss-limit", 100, "0.092", "0.09"))
        yield* (yield* DryRunMarket).setPrice(0.09) // b triggers and rests at 0.092; a still waits
        return [a.id, b.id] as const
      }).pipe(Effect.provide(onFile))
      yield* Effect.gen(function*() {
        const venue = yield* Venue
        const open = new Map((yield* venue.openOrders("test", SYMBOL)).map((o) => [o.id, o.triggered]))
        assert.deepStrictEqual([open.get(waiting), open.get(working)], [false, true])
        yield* venue.cancel("test", SYMBOL, waiting)
        yield* venue.cancel("test", SYMBOL, working)
        assert.strictEqual((yield* venue.fetchOrder("test", SYMBOL, waiting)).triggered, false)
        assert.strictEqual((yield* venue.fetchOrder("test", SYMBOL, working)).triggered, true)
      }).pipe(Effect.provide(onFile))
    }).pipe(Effect.scoped))
})

describe("dry run: triggered through the Exchange", () => {
  it.effect("the Triggered event, fetchOrder and fetchOpenOrders agree: false while it waits, true once fired", () =>
    Effect.gen(function*() {
      const events = yield* subscribeOrderEvents
      const stop = yield* createStopLossLimit(0.09, 0.092, 100) // a sell stop whose limit rests above its trigger once fired
      assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.triggered), [false])
      yield* setExchangePrice(0.09)
      const seen = yield* Stream.runCollect(Stream.take(events, 2))
      assert.deepStrictEqual(seen.map((e) => [e._tag, e.order.triggered]), [["Accepted", false], ["Triggered", true]])
      assert.strictEqual((yield* fetchOrder(stop.id)).triggered, true)
      assert.deepStrictEqual((yield* fetchOpenOrders()).map((o) => o.triggered), [true])
    }).pipe(Effect.scoped, Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { HBAR: 1000 } }))))
})
