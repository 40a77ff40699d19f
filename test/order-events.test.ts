/**
 * Order events through the engine, on the dry run (time is virtual): what a
 * subscriber sees for placements, cancels, fills and triggers, that an event is
 * journaled and applied to the active orders before it is published, several
 * subscribers, a slow subscriber's overflow, and polling on its interval when the
 * venue has no event source.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Exit, Fiber, Layer, Logger, Option, Queue, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import {
  activeOrders,
  cancelOrder,
  createLimitBuy,
  createMarketSell,
  createOco,
  createStopLossLimit,
  DryRunExchangeLayer,
  DryRunMarket,
  type DryRunOptions,
  eventSource,
  ExchangeError,
  fetchAllOrders,
  SqliteJournalLayer,
  Exchange,
  OrderJournal,
  subscribeOrderEvents
} from "../src/index.ts"
import { ActiveOrders, DRY_RUN_VENUE_ID, DryRunVenueLayer, type EngineOptions, makeExchange, Venue, type VenueService, type VenueUpdate } from "../src/venue.ts"
import type { OrderRecord } from "../src/services/OrderRecord.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import * as D from "../src/services/Decimal.ts"
import { text } from "./support/amounts.ts"

/** The paper exchange over a memory journal the test can read too. */
const paper = (options: DryRunOptions = {}) =>
  Layer.unwrap(
    Effect.map(OrderJournal, (j) =>
      DryRunExchangeLayer({
        price: 0.06,
        balances: { USDT: 1000, HBAR: 1000 },
        makerFee: 0.001,
        takerFee: 0.002,
        ...options,
        journal: Layer.succeed(OrderJournal, j)
      }))
  ).pipe(Layer.provideMerge(OrderJournal.layerMemory))

/** Subscribes now and collects the next `n` events in the background. */
const nextEvents = (n: number) =>
  Effect.flatMap(subscribeOrderEvents, (events) => Effect.forkChild(Stream.runCollect(Stream.take(events, n))))

/** Each event as `Tag status filled`, and the trade's `price×quantity fee asset maker|taker` for fills. */
const summary = (events: ReadonlyArray<OrderEvent>) =>
  events.map((e) =>
    `${e._tag} ${e.order.status} ${text(e.order.filled)}` +
    ("trade" in e ? Option.match(e.trade, { onNone: () => " no trade", onSome: (t) => ` ${text(t.price)}x${text(t.quantity)} ${text(t.fee)} ${t.feeAsset} ${t.maker ? "maker" : "taker"}` }) : ""))

const setPrice = (p: number) => DryRunMarket.use((m) => m.setPrice(p))

describe("order events", () => {
  it.effect("a placed order is Accepted and a cancelled one Canceled, each carrying the order's record", () =>
    Effect.gen(function*() {
      const events = yield* nextEvents(2)
      const id = yield* createLimitBuy(0.05, 100)
      yield* cancelOrder(id)
      const got = yield* Fiber.join(events)
      assert.deepStrictEqual(summary(got), ["Accepted open 0", "Canceled canceled 0"])
      assert.strictEqual(got[0]!.order.id, id)
      assert.strictEqual(text(got[0]!.order.price), "0.05")
    }).pipe(Effect.provide(paper())))

  it.effect("a market sell is Accepted, then Filled with its trade: price, quantity, taker fee in the asset received", () =>
    Effect.gen(function*() {
      const events = yield* nextEvents(2)
      const id = yield* createMarketSell(100)
      const got = yield* Fiber.join(events)
      assert.deepStrictEqual(summary(got), ["Accepted open 0", "Filled closed 100 0.06x100 0.012 USDT taker"])
      assert.strictEqual(got[1]!.order.id, id)
    }).pipe(Effect.provide(paper())))

  it.effect("a fill when the price crosses is published after it is journaled and has left the active orders", () =>
    Effect.gen(function*() {
      const events = yield* subscribeOrderEvents
      // What a subscriber reading the state when the Filled event comes sees.
      const onFilled = yield* Effect.forkChild(
        events.pipe(
          Stream.filter((e) => e._tag === "Filled"),
          Stream.take(1),
          Stream.mapEffect((e) =>
            Effect.all({
              event: Effect.succeed(e),
              tracked: Effect.map(activeOrders, (m) => m.has(e.order.id)),
              journaled: Effect.map(OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" })), (list) =>
                list.find((x) => x.orderId === e.order.id)?.status)
            })),
          Stream.runCollect
        )
      )
      const id = yield* createLimitBuy(0.05, 100)
      yield* setPrice(0.05)
      yield* TestClock.adjust("5 seconds")
      const [seen] = yield* Fiber.join(onFilled)
      assert.deepStrictEqual(summary([seen!.event]), ["Filled closed 100 0.05x100 0.1 HBAR maker"])
      assert.strictEqual(seen!.event.order.id, id)
      assert.isFalse(seen!.tracked)
      assert.strictEqual(seen!.journaled, "closed")
    }).pipe(Effect.provide(paper())))

  it.effect("partial fills are separate events, one per trade, and the last is Filled", () =>
    Effect.gen(function*() {
      const events = yield* nextEvents(3)
      yield* createLimitBuy(0.05, 100)
      yield* DryRunMarket.use((m) => m.setDepth(40))
      yield* setPrice(0.05)
      yield* TestClock.adjust("5 seconds")
      yield* DryRunMarket.use((m) => m.setDepth(undefined))
      yield* setPrice(0.05)
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(summary(yield* Fiber.join(events)), [
        "Accepted open 0",
        "PartiallyFilled open 40 0.05x40 0.04 HBAR maker",
        "Filled closed 100 0.05x60 0.06 HBAR maker"
      ])
    }).pipe(Effect.provide(paper())))

  it.effect("a stop-loss-limit is Accepted, Triggered when the price reaches its trigger, then Filled", () =>
    Effect.gen(function*() {
      const events = yield* nextEvents(3)
      yield* createStopLossLimit(0.055, 0.054, 100)
      yield* setPrice(0.055)
      yield* TestClock.adjust("5 seconds")
      const got = yield* Fiber.join(events)
      assert.deepStrictEqual(got.map((e) => e._tag), ["Accepted", "Triggered", "Filled"])
      assert.strictEqual(got[1]!.order.triggered, true)
    }).pipe(Effect.provide(paper())))

  it.effect("an OCO whose limit leg fills: the leg is Filled and the stop leg Expired", () =>
    Effect.gen(function*() {
      const events = yield* nextEvents(4)
      const oco = yield* createOco({ side: "sell", quantity: 100, price: 0.07, triggerPrice: 0.05, stopLimitPrice: 0.049 })
      yield* setPrice(0.07)
      yield* TestClock.adjust("5 seconds")
      const got = yield* Fiber.join(events)
      const tagsOf = (id: string) => got.filter((e) => e.order.id === id).map((e) => e._tag)
      assert.deepStrictEqual(tagsOf(oco.limit.id), ["Accepted", "Filled"])
      assert.deepStrictEqual(tagsOf(oco.stop.id), ["Accepted", "Expired"])
    }).pipe(Effect.provide(paper())))

  it.effect("every subscriber sees every event", () =>
    Effect.gen(function*() {
      const a = yield* nextEvents(2)
      const b = yield* nextEvents(2)
      yield* cancelOrder(yield* createLimitBuy(0.05, 100))
      assert.deepStrictEqual(summary(yield* Fiber.join(a)), summary(yield* Fiber.join(b)))
      assert.strictEqual((yield* Fiber.join(a)).length, 2)
    }).pipe(Effect.provide(paper())))

  it.effect("a subscriber that falls behind its buffer gets what it holds, then OrderEventsOverflow; the exchange goes on", () =>
    Effect.gen(function*() {
      const events = yield* subscribeOrderEvents
      for (let i = 0; i < 3; i++) yield* createLimitBuy(0.05, 100)
      const seen = yield* Ref.make(0)
      const exit = yield* Effect.exit(Stream.runForEach(events, () => Ref.update(seen, (n) => n + 1)))
      assert.strictEqual(yield* Ref.get(seen), 2)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "OrderEventsOverflow")
      // A new subscriber starts afresh.
      const next = yield* nextEvents(1)
      yield* createLimitBuy(0.05, 100)
      assert.deepStrictEqual(summary(yield* Fiber.join(next)), ["Accepted open 0"])
    }).pipe(Effect.provide(paper({ events: { subscriberBuffer: 2 } }))))

  it.effect("events: false turns them off", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* eventSource, "off")
    }).pipe(Effect.provide(paper({ events: false }))))
})

/** The engine over the dry run's venue changed by `change` (the venue's own source taken away, faults, ...). */
const engineOver = (
  change: (v: VenueService) => Partial<VenueService>,
  engine: EngineOptions = {},
  dryRun: DryRunOptions = { price: 0.06 }
) => {
  const venue = Layer.effect(Venue, Effect.map(Venue, (v): VenueService => ({ ...v, ...change(v) }))).pipe(
    Layer.provideMerge(DryRunVenueLayer(dryRun))
  )
  return Layer.effect(Exchange, makeExchange(engine)).pipe(
    Layer.provideMerge(venue),
    Layer.provideMerge(ActiveOrders.layerFor(DRY_RUN_VENUE_ID)),
    Layer.provideMerge(OrderJournal.layerMemory)
  )
}

/** The dry run without its event source: the engine learns of changes only by polling. */
const pollingOnly = (pollInterval: Duration.Input) => engineOver(() => ({ updates: Option.none() }), { events: { pollInterval } })

describe("order events by polling", () => {
  it.effect("with no event source the state is polling, and a change is published at the next poll, not before", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* eventSource, "polling")
      const events = yield* subscribeOrderEvents
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      yield* Effect.forkChild(Stream.runForEach(events, (e) => Ref.update(seen, (tags) => [...tags, e._tag])))
      yield* createLimitBuy(0.05, 100)
      yield* setPrice(0.05)
      yield* TestClock.adjust("2999 millis")
      assert.deepStrictEqual(yield* Ref.get(seen), ["Accepted"])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Ref.get(seen), ["Accepted", "Filled"])
    }).pipe(Effect.provide(pollingOnly("3 seconds"))))
})

/** The dry run, its venue reporting `usdt` free USDT as known without a request (as a live stream does while up). */
const withKnownBalances = (usdt: string) => {
  const known = new Map([["USDT", { free: D.unsafe(usdt), used: D.ZERO }]])
  return engineOver(() => ({ knownBalances: Effect.succeed(Option.some(known)) }), {}, { price: 0.06, balances: { USDT: 1000 } })
}

describe("the create's funds check against balances known without a request", () => {
  it.effect("an order the known free balance cannot cover fails InsufficientFunds; nothing is journaled or sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(createLimitBuy(0.05, 100))
      assert.strictEqual(error._tag, "ExchangeError")
      if (error._tag === "ExchangeError") {
        assert.strictEqual(error.reason, "InsufficientFunds")
        assert.include(error.detail, "needs 5 USDT and 4.99 is free")
      }
      assert.deepStrictEqual(yield* OrderJournal.use((j) => j.entries({ symbol: "HBAR/USDT" })), [])
      assert.deepStrictEqual(yield* Venue.use((v) => v.openOrders("test", "HBAR/USDT")), [])
      // One it covers goes through.
      yield* createLimitBuy(0.05, 99.8)
    }).pipe(Effect.provide(withKnownBalances("4.99"))))
})

describe("a poll while a create's answer is on its way", () => {
  it.effect("leaves the order to its create: no adoption, one Accepted", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.layer([Logger.make(({ message }) => {
        lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      })])
      // The exchange takes the order at once; its answer takes 10 s to come back.
      const layer = engineOver((v) => ({
        updates: Option.none(),
        submit: (op, order) => Effect.tap(v.submit(op, order), () => Effect.sleep("10 seconds"))
      }), { events: { pollInterval: "1 second" } })
      yield* Effect.gen(function*() {
        const events = yield* subscribeOrderEvents
        const seen = yield* Ref.make<ReadonlyArray<string>>([])
        yield* Effect.forkChild(Stream.runForEach(events, (e) => Ref.update(seen, (tags) => [...tags, e._tag])))
        const create = yield* Effect.forkChild(createLimitBuy(0.05, 100))
        yield* TestClock.adjust("3 seconds") // three polls see the order open, its create not yet answered
        yield* TestClock.adjust("7 seconds")
        yield* Fiber.join(create)
        assert.deepStrictEqual(yield* Ref.get(seen), ["Accepted"])
        assert.deepStrictEqual(lines.filter((l) => l.includes("Adopted")), [])
      }).pipe(Effect.provide(layer.pipe(Layer.provide(logger))))
    }))
})

describe("an exchange that lists no trades", () => {
  it.effect("a fill waits the bounded wait for its trade, then is published without one, with a WARN; nothing is made up", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.layer([Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel} ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}`)
      })])
      const layer = engineOver(() => ({
        updates: Option.none(),
        trades: (op, symbol) =>
          Effect.fail(new ExchangeError({ operation: op, symbol, reason: "BadRequest", detail: "fetchMyTrades() is not supported yet" }))
      }), { events: { pollInterval: "1 second" } }, { price: 0.06, balances: { HBAR: 1000 } })
      yield* Effect.gen(function*() {
        const events = yield* subscribeOrderEvents
        const seen = yield* Ref.make<ReadonlyArray<OrderEvent>>([])
        yield* Effect.forkChild(Stream.runForEach(events, (e) => Ref.update(seen, (list) => [...list, e])))
        // Filled at once; its trade is never listed. Reads: at once, then every second.
        const id = yield* createMarketSell(100)
        for (let s = 0; s < 9; s++) yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(summary(yield* Ref.get(seen)), ["Accepted open 0"], "within the wait: the fill waits for its trade")
        yield* TestClock.adjust("1 second")
        const got = yield* Ref.get(seen)
        // The order as it states itself (its taker fee, in the USDT received); no trade.
        assert.deepStrictEqual(summary(got), ["Accepted open 0", "Filled closed 100 no trade"])
        const fill = got[1]!
        assert.isTrue(fill._tag === "Filled" && Option.isNone(fill.trade))
        assert.deepStrictEqual(fill.order.fees["USDT"] === undefined ? undefined : text(fill.order.fees["USDT"]), "0.006")
        assert.isTrue(lines.some((l) => l.startsWith("Warn") && l.includes(`Order ${id}`) && l.includes("without a trade")), lines.join("\n"))
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual((yield* Ref.get(seen)).length, 2, "published once")
      }).pipe(Effect.provide(layer.pipe(Layer.provide(logger))))
    }))
})

describe("the trades of a fill that waits for them", () => {
  it.effect("an order that rested for days: read from a margin before the last view that showed it unfilled, not from its creation; its own trade published", () =>
    Effect.gen(function*() {
      const since: Array<number> = []
      const layer = engineOver((v) => ({
        updates: Option.none(),
        trades: (op, symbol, from, until) => Effect.andThen(Effect.sync(() => void since.push(from ?? -1)), v.trades(op, symbol, from, until))
      }), { events: { pollInterval: "1 hour" } })
      yield* Effect.gen(function*() {
        const events = yield* subscribeOrderEvents
        const seen = yield* Ref.make<ReadonlyArray<OrderEvent>>([])
        yield* Effect.forkChild(Stream.runForEach(events, (e) => Ref.update(seen, (list) => [...list, e])))
        yield* createLimitBuy(0.05, 100)
        for (let h = 0; h < 72; h++) yield* TestClock.adjust("1 hour") // three days of polls, each showing it open
        const lastSeen = 72 * 3_600_000
        yield* TestClock.adjust("10 minutes")
        yield* setPrice(0.05) // it fills now; the next poll finds it filled, with no trade
        yield* TestClock.adjust("50 minutes")
        const got = yield* Ref.get(seen)
        assert.deepStrictEqual(summary(got).map((l) => l.replace(/ taker| maker/, "")), ["Accepted open 0", "Filled closed 100 0.05x100 0.1 HBAR"])
        const fill = got[1]!
        assert.isTrue(fill._tag === "Filled" && Option.isSome(fill.trade) && !fill.trade.value.id.includes("@"))
        assert.deepStrictEqual(since, [lastSeen - 60_000], "one read, from a minute before the last poll that showed it open")
      }).pipe(Effect.provide(layer))
    }))
})

describe("a fill's late stream report after the cancel's answer", () => {
  it.effect("the cancel's view waits for the fill's trade; the report brings it: PartiallyFilled with it, then Canceled, at once", () =>
    Effect.gen(function*() {
      const reports = yield* Queue.unbounded<VenueUpdate>()
      let paper: VenueService | undefined
      const layer = engineOver((v) => ({
        updates: Option.some(() => Stream.fromQueue(reports)),
        trades: (op, symbol) => Effect.sync(() => void (paper = v)).pipe(Effect.as([])) // listed only later: the report is first
      }), { events: { pollInterval: "1 minute", tradeWait: "1 minute" } })
      yield* Effect.gen(function*() {
        const events = yield* subscribeOrderEvents
        const seen = yield* Ref.make<ReadonlyArray<OrderEvent>>([])
        yield* Effect.forkChild(Stream.runForEach(events, (e) => Ref.update(seen, (list) => [...list, e])))
        const id = yield* createLimitBuy(0.05, 100)
        yield* DryRunMarket.use((m) => m.setDepth(40))
        yield* setPrice(0.05) // 40 fill; the stream (this test's queue) says nothing yet
        yield* cancelOrder(id)
        const canceled = yield* (yield* Venue).fetchOrder("test", "HBAR/USDT", id)
        assert.deepStrictEqual([canceled.status, text(canceled.filled)], ["canceled", "40"])
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(summary(yield* Ref.get(seen)), ["Accepted open 0"], "the cancel's view waits for the fill's trade")
        const [trade] = (yield* paper!.trades("test", "HBAR/USDT")).filter((t) => t.orderId === id)
        const report: OrderRecord = { ...canceled, status: "open" }
        yield* Queue.offer(reports, { _tag: "Order", order: report, trade: Option.some(trade!) })
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(summary(yield* Ref.get(seen)).map((l) => l.split(" ").slice(0, 3).join(" ")), [
          "Accepted open 0", "PartiallyFilled open 40", "Canceled canceled 40"
        ])
      }).pipe(Effect.provide(layer))
    }))
})

describe("order events across sessions", () => {
  it.live("reading an earlier session's finished orders publishes nothing; a new order still starts with Accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-events-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const file = join(dir, "journal.sqlite")
      const session = () => DryRunExchangeLayer({ journal: SqliteJournalLayer(file), price: 0.06, balances: { USDT: 1000 } })
      yield* Effect.gen(function*() {
        yield* createLimitBuy(0.05, 100)
        yield* setPrice(0.05)
        yield* cancelOrder(yield* createLimitBuy(0.04, 100))
      }).pipe(Effect.provide(session()))
      yield* Effect.gen(function*() {
        const events = yield* nextEvents(1)
        assert.strictEqual((yield* fetchAllOrders()).length, 2)
        const id = yield* createLimitBuy(0.045, 100)
        const got = yield* Fiber.join(events)
        assert.deepStrictEqual(got.map((e) => `${e._tag} ${e.order.id}`), [`Accepted ${id}`])
      }).pipe(Effect.provide(session()))
    })))
})
