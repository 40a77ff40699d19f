/**
 * The conformance suite's order events: for the same scenario, the dry run and the
 * live layer (over the loopback Binance.US server) publish the same events, seen
 * through `Exchange.subscribeOrderEvents` (subscribed before acting). Each scenario
 * compares, order by order (the events of one order come in order; orders interleave
 * as they happen), the event tags and the key fields: status, filled, whether a
 * trigger order's trigger fired, and a fill's trade price, quantity, fee, fee asset
 * and maker flag; and where the events came from (`eventSource`: the stream, or
 * polls). Then a `sync` and a last order show that nothing more was published for
 * the scenario's orders: no repeat, whether the stream, a poll or the reconciliation
 * saw it.
 *
 * `dry-run.test.ts` runs it on the simulator's event source; `live.test.ts` over the
 * loopback Binance.US server twice, the market moved on the server alone: with REST
 * polls every 20 ms only, and with the user data stream (connected before acting, so
 * fills come from it).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer, Option, Queue, type Scope, Stream } from "effect"
import {
  cancelOrder,
  createLimitBuy,
  createMarketSell,
  createOco,
  createStopLossLimit,
  Decimal as D,
  type Exchange,
  type OrderJournal,
  eventSource,
  subscribeOrderEvents,
  syncOrders
} from "../../src/index.ts"
import type { EventSourceState, OrderEvent } from "../../src/services/OrderEvent.ts"
import { MarketControl } from "./conformance.ts"

type Env = Exchange | MarketControl | OrderJournal

export interface EventsSuiteOptions {
  /** Run on the real clock (layers that do real I/O). Default false: `it.effect` with TestClock. */
  readonly live?: boolean
  /** Whether the layer places OCO lists. Default true. */
  readonly oco?: boolean
  /** Where the events must have come from (`Exchange.eventSource` once a scenario's are in): the stream, or polls. */
  readonly source: EventSourceState
}

/** How long a live layer may take to publish a scenario's events (a poll or the stream: far less). */
const PATIENCE = "10 seconds"

/**
 * One event in a line: `Tag status filled [triggered|waiting] [| quantity @ price fee asset maker|taker]`,
 * `triggered` / `waiting` when the record says whether a trigger order's trigger fired.
 */
export const eventLine = (e: OrderEvent): string => {
  const trigger = e.order.triggered === undefined ? "" : e.order.triggered ? " triggered" : " waiting"
  const trade = e._tag === "PartiallyFilled" || e._tag === "Filled"
    ? Option.match(e.trade, {
      onNone: () => " | no trade",
      onSome: (t) => ` | ${D.format(t.quantity)} @ ${D.format(t.price)} fee ${D.format(t.fee)} ${t.feeAsset} ${t.maker ? "maker" : "taker"}`
    })
    : ""
  return `${e._tag} ${e.order.status} ${D.format(e.order.filled)}${trigger}${trade}`
}

/** Waits until `eventSource` is `source`: checked every few ms live, at every turn of the scheduler on the TestClock. */
const untilSource = (source: EventSourceState, live: boolean) =>
  Effect.gen(function*() {
    while ((yield* eventSource) !== source) yield* (live ? Effect.sleep("5 millis") : Effect.yieldNow)
  }).pipe(Effect.timeout(PATIENCE))

/**
 * Waits until the events come from `source` (a stream connects after the layer is
 * built), then subscribes and records the events of every order but `setup`'s
 * (placed before subscribing, whose events may still be on their way). `expect` waits
 * for each named order's events (by role: `{ buy: id }`), compares them and checks
 * the source is still the same, then that a `sync` and one more order bring nothing
 * more for them.
 */
const recorder = (source: EventSourceState, live: boolean, setup: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    yield* untilSource(source, live)
    const events = yield* subscribeOrderEvents
    const seen = yield* Queue.unbounded<OrderEvent>()
    yield* Effect.forkScoped(
      Stream.runForEach(events, (e) => (setup.includes(e.order.id) ? Effect.void : Queue.offer(seen, e)))
    )
    const byOrder = new Map<string, Array<OrderEvent>>()
    const take = Effect.map(Queue.take(seen), (e) => {
      byOrder.set(e.order.id, [...(byOrder.get(e.order.id) ?? []), e])
      return e
    })
    const expect = (roles: Record<string, string>, expected: Record<string, ReadonlyArray<string>>) =>
      Effect.gen(function*() {
        const count = Object.values(expected).reduce((n, lines) => n + lines.length, 0)
        for (let i = 0; i < count; i++) yield* take
        const got = Object.fromEntries(Object.entries(roles).map(([role, id]) => [role, (byOrder.get(id) ?? []).map(eventLine)]))
        assert.deepStrictEqual(got, expected)
        assert.strictEqual(yield* eventSource, source)
        // Nothing more for them: a reconciliation repeats nothing, and the next event is the next order's.
        yield* syncOrders
        const marker = yield* createLimitBuy(0.05, 20)
        const next = yield* take
        assert.deepStrictEqual([next.order.id, next._tag], [marker, "Accepted"])
      }).pipe(Effect.timeout(PATIENCE))
    return { expect }
  })

export const eventsSuite = <E>(name: string, layer: Layer.Layer<Env, E>, options: EventsSuiteOptions) => {
  const test = (title: string, body: () => Effect.Effect<void, unknown, Env | Scope.Scope>) =>
    (options.live ? it.live : it.effect)(title, () => body().pipe(Effect.scoped, Effect.provide(layer), Effect.orDie) as Effect.Effect<void>)
  const live = options.live ?? false
  const setPrice = (p: number) => MarketControl.use((m) => m.setPrice(p))
  const setDepth = (q: number | undefined) => MarketControl.use((m) => m.setDepth(q))
  /** 1000 USDT → 200 HBAR bought at 0.1 as a taker (199.6 after the fee), the price left at 0.1; gives the buy's id. */
  const holdHbar = Effect.andThen(setPrice(0.1), createLimitBuy(0.11, 200))

  describe(`${name}: order events conformance`, () => {
    test("a limit buy: Accepted, then Filled as a maker when the price crosses it", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const { expect } = yield* recorder(options.source, live)
        const buy = yield* createLimitBuy(0.09, 100)
        yield* setPrice(0.089)
        yield* expect({ buy }, { buy: ["Accepted open 0", "Filled closed 100 | 100 @ 0.09 fee 0.1 HBAR maker"] })
      }))

    test("partial fills: one PartiallyFilled per trade, then Filled with the rest", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        yield* setDepth(40)
        const { expect } = yield* recorder(options.source, live)
        const buy = yield* createLimitBuy(0.09, 100)
        yield* setPrice(0.089) // 40 of 100
        yield* setPrice(0.088) // 40 more
        yield* setDepth(undefined)
        yield* setPrice(0.087) // the last 20
        yield* expect({ buy }, {
          buy: [
            "Accepted open 0",
            "PartiallyFilled open 40 | 40 @ 0.09 fee 0.04 HBAR maker",
            "PartiallyFilled open 80 | 40 @ 0.09 fee 0.04 HBAR maker",
            "Filled closed 100 | 20 @ 0.09 fee 0.02 HBAR maker"
          ]
        })
      }))

    test("a cancel: Accepted, then Canceled", () =>
      Effect.gen(function*() {
        yield* setPrice(0.1)
        const { expect } = yield* recorder(options.source, live)
        const buy = yield* createLimitBuy(0.09, 100)
        yield* cancelOrder(buy)
        yield* expect({ buy }, { buy: ["Accepted open 0", "Canceled canceled 0"] })
      }))

    test("a stop-loss-limit: Accepted, Triggered when the price reaches it, then Filled as a taker", () =>
      Effect.gen(function*() {
        const setup = yield* holdHbar
        const { expect } = yield* recorder(options.source, live, [setup])
        const stop = yield* createStopLossLimit(0.09, 0.089, 100)
        yield* setPrice(0.095) // not yet
        yield* setPrice(0.09) // triggered: a sell limit at 0.089 meets the market at 0.09
        yield* expect({ stop: stop.id }, {
          stop: ["Accepted open 0 waiting", "Triggered open 0 triggered", "Filled closed 100 triggered | 100 @ 0.09 fee 0.018 USDT taker"]
        })
      }))

    if (options.oco ?? true) {
      test("an OCO: both legs Accepted; the limit leg Filled, the stop leg Expired", () =>
        Effect.gen(function*() {
          const setup = yield* holdHbar
          const { expect } = yield* recorder(options.source, live, [setup])
          const list = yield* createOco({ side: "sell", quantity: 100, price: 0.12, triggerPrice: 0.09, stopLimitPrice: 0.089 })
          yield* setPrice(0.12)
          yield* expect({ limit: list.limit.id, stop: list.stop.id }, {
            limit: ["Accepted open 0", "Filled closed 100 | 100 @ 0.12 fee 0.012 USDT maker"],
            stop: ["Accepted open 0 waiting", "Expired expired 0 waiting"]
          })
        }))
    }

    test("a market sell: Accepted, then Filled as a taker", () =>
      Effect.gen(function*() {
        const setup = yield* holdHbar
        const { expect } = yield* recorder(options.source, live, [setup])
        const sell = yield* createMarketSell(50)
        yield* expect({ sell }, { sell: ["Accepted open 0", "Filled closed 50 | 50 @ 0.1 fee 0.01 USDT taker"] })
      }))
  })
}
