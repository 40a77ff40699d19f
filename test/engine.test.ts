/**
 * Engine behaviour that needs a venue with latency or faults: the dry-run venue,
 * wrapped. Time is virtual (TestClock).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Ref } from "effect"
import { TestClock } from "effect/testing"
import {
  activeOrders,
  cancelAllBuyOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  Exchange,
  fetchAllOrders,
  fetchOrder,
  ExchangeError,
  NetworkError,
  OrderJournal,
  type OrderRecord,
  syncOrders
} from "../src/index.ts"
import { ActiveOrders, DRY_RUN_VENUE_ID, DryRunVenueLayer, makeExchange, Venue, type VenueService } from "../src/venue.ts"
import { newClientOrderId } from "../src/layers/engine/ClientOrderId.ts"
import * as D from "../src/services/Decimal.ts"
import { limitRecord, text } from "./support/amounts.ts"

/** The dry-run exchange with `wrap` applied to its venue. */
const wrapped = (wrap: (v: VenueService) => Effect.Effect<VenueService>, options: { cancelConcurrency?: number } = {}) => {
  const venue = Layer.effect(Venue, Effect.flatMap(Venue, wrap)).pipe(Layer.provide(DryRunVenueLayer({ price: 1 })))
  return Layer.effect(Exchange, makeExchange(options)).pipe(
    Layer.provideMerge(venue),
    Layer.provideMerge(ActiveOrders.layerFor(DRY_RUN_VENUE_ID)),
    Layer.provideMerge(OrderJournal.layerMemory)
  )
}

describe("order engine", () => {
  it.effect("cancel-all runs cancels concurrently within the bound", () =>
    Effect.gen(function*() {
      const inFlight = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const slow = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          cancel: (op, s, id) =>
            Effect.gen(function*() {
              const n = yield* Ref.updateAndGet(inFlight, (x) => x + 1)
              yield* Ref.update(peak, (p) => Math.max(p, n))
              yield* Effect.sleep("1 second")
              yield* Ref.update(inFlight, (x) => x - 1)
              return yield* v.cancel(op, s, id)
            })
        })
      yield* Effect.gen(function*() {
        const ids = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => createLimitBuy(0.5 - i * 0.01, 10))
        const fiber = yield* Effect.forkChild(cancelAllBuyOrders())
        yield* TestClock.adjust("2 seconds") // 20 cancels, 10 at a time: two rounds of one second
        const cancelled = yield* Fiber.join(fiber)
        assert.deepStrictEqual([...cancelled].sort(), [...ids].sort())
        assert.strictEqual(yield* Ref.get(peak), 10)
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(wrapped(slow, { cancelConcurrency: 10 })))
    }))

  it.effect("a create whose answer is lost is found by client order id, not sent twice", () =>
    Effect.gen(function*() {
      const sends = yield* Ref.make(0)
      // The exchange takes the order, then the connection drops before the answer.
      const lossy = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          submit: (op, order) =>
            Ref.update(sends, (n) => n + 1).pipe(
              Effect.andThen(v.submit(op, order)),
              Effect.andThen(Effect.fail(new NetworkError({ operation: op, symbol: order.symbol, reason: "ConnectionFailed", detail: "other side closed" })))
            )
        })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.5, 10)
        assert.strictEqual(yield* Ref.get(sends), 1)
        assert.deepStrictEqual((yield* fetchAllOrders()).map((o) => o.id), [id])
        assert.deepStrictEqual([...(yield* activeOrders).keys()], [id])
      }).pipe(Effect.provide(wrapped(lossy)))
    }))

  it.effect("a create that never reached the exchange is re-sent with the same client order id", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const dropFirst = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          submit: (op, order) =>
            Effect.flatMap(Ref.getAndUpdate(seen, (xs) => [...xs, order.clientOrderId]), (xs) =>
              xs.length === 0
                ? Effect.fail(new NetworkError({ operation: op, symbol: order.symbol, reason: "Timeout", detail: "timed out" }))
                : v.submit(op, order))
        })
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(createLimitSell(2, 1).pipe(Effect.flip))
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual((yield* Fiber.join(fiber))._tag, "ExchangeError") // no HBAR: refused once it got through
        const ids = yield* Ref.get(seen)
        assert.strictEqual(ids.length, 2)
        assert.strictEqual(ids[0], ids[1])
        assert.strictEqual((yield* fetchAllOrders()).length, 0)
      }).pipe(Effect.provide(wrapped(dropFirst)))
    }))

  it.effect("an answer orderops cannot read leaves the intent pending, and sync adopts the order", () =>
    Effect.gen(function*() {
      const garbled = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          submit: (op, order) =>
            v.submit(op, order).pipe(
              Effect.andThen(Effect.fail(new ExchangeError({ operation: op, symbol: order.symbol, reason: "UnreadableAnswer", detail: "undecodable answer" })))
            )
        })
      yield* Effect.gen(function*() {
        const e = yield* Effect.flip(createLimitBuy(0.5, 10))
        assert.strictEqual(e._tag === "ExchangeError" && e.reason, "UnreadableAnswer")
        const journal = yield* OrderJournal
        const [entry] = yield* journal.entries()
        assert.strictEqual(entry!.status, "pending") // not "failed": the order may exist
        const active = yield* syncOrders
        assert.strictEqual(active.size, 1)
        assert.strictEqual((yield* journal.entries())[0]!.status, "open")
      }).pipe(Effect.provide(wrapped(garbled)))
    }))

  it.effect("a defect raised before the request is sent marks the intent failed, not pending", () =>
    Effect.gen(function*() {
      const broken = (v: VenueService) =>
        Effect.succeed<VenueService>({ ...v, submit: () => Effect.die(new Error("a bug while building the request")) })
      yield* Effect.gen(function*() {
        const exit = yield* Effect.exit(createLimitBuy(0.5, 10))
        assert.isTrue(Exit.hasDies(exit))
        const [entry] = yield* OrderJournal.use((j) => j.entries())
        assert.strictEqual(entry!.status, "failed")
        assert.include(entry!.detail ?? "", "a bug while building the request")
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(wrapped(broken)))
    }))

  it.effect("ActiveOrders built for another venue than the engine's is a wiring bug: the engine dies at construction", () =>
    Effect.gen(function*() {
      const miswired = Layer.effect(Exchange, makeExchange()).pipe(
        Layer.provideMerge(DryRunVenueLayer({ price: 1 })),
        Layer.provideMerge(ActiveOrders.layerFor("binanceus")),
        Layer.provideMerge(OrderJournal.layerMemory)
      )
      const exit = yield* Effect.exit(Effect.provide(Effect.service(Exchange), miswired))
      assert.isTrue(Exit.hasDies(exit), String(exit))
      assert.include(String(exit), `ActiveOrders serves venue "binanceus" but the Venue is "dry-run"`)
    }))

  it.effect("ActiveOrders: an unchanged view of a tracked order writes nothing; a changed or final one is journaled and applied", () => {
    const writes: Array<string> = []
    const counting = Layer.effect(
      OrderJournal,
      Effect.map(Effect.service(OrderJournal), (j) => ({
        ...j,
        recordOrder: (r: OrderRecord, now: number, venue: string) =>
          Effect.andThen(Effect.sync(() => void writes.push(`${r.id} ${r.status} ${D.format(r.filled)}`)), j.recordOrder(r, now, venue))
      }))
    ).pipe(Layer.provide(OrderJournal.layerMemory))
    const open: OrderRecord = limitRecord({ id: "1", clientOrderId: "oo_a", symbol: "HBAR/USDT", price: "0.05", quantity: "100" })
    return Effect.gen(function*() {
      const active = yield* ActiveOrders
      yield* active.track(open)
      yield* active.observe({ ...open }) // the same view, polled again
      assert.deepStrictEqual(writes, ["1 open 0"])
      yield* active.observe({ ...open, filled: D.unsafe("40.0") }) // a new amount, not a new scale
      yield* active.observe({ ...open, filled: D.unsafe("40") })
      assert.deepStrictEqual(writes, ["1 open 0", "1 open 40"])
      assert.strictEqual(text((yield* active.snapshot).get("1")!.filled), "40")
      yield* active.observe({ ...open, id: "2", clientOrderId: "oo_b" }) // not ours: ignored
      yield* active.observe({ ...open, filled: D.unsafe("100"), status: "closed" })
      assert.deepStrictEqual(writes, ["1 open 0", "1 open 40", "1 closed 100"])
      assert.isFalse((yield* active.snapshot).has("1"))
    }).pipe(Effect.provide(ActiveOrders.layerFor("binanceus").pipe(Layer.provide(counting))))
  })

  it("client order ids are distinct across entropy refills, and fit Binance's format", () => {
    const ids = Array.from({ length: 2_000 }, () => newClientOrderId(1_700_000_000_000))
    assert.strictEqual(new Set(ids).size, ids.length)
    for (const id of ids) {
      assert.match(id, /^oo_[a-z0-9]+_[0-9a-f]{16}$/)
      assert.isAtMost(id.length, 36)
    }
  })

  it.effect("orders are journaled under the venue's id", () =>
    Effect.gen(function*() {
      yield* createLimitBuy(0.5, 10)
      const journal = yield* OrderJournal
      assert.deepStrictEqual((yield* journal.entries()).map((e) => e.venue), [DRY_RUN_VENUE_ID])
      assert.strictEqual((yield* journal.unsettled(DRY_RUN_VENUE_ID, "HBAR/USDT")).length, 1)
      assert.strictEqual((yield* journal.unsettled("binanceus", "HBAR/USDT")).length, 0)
    }).pipe(Effect.provide(wrapped(Effect.succeed))))

  it.effect("a cancel whose answer is lost succeeds once the order is seen cancelled, without a second cancel", () =>
    Effect.gen(function*() {
      const cancels = yield* Ref.make(0)
      const lossy = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          cancel: (op, s, id) =>
            Ref.update(cancels, (n) => n + 1).pipe(
              Effect.andThen(v.cancel(op, s, id)),
              Effect.andThen(Effect.fail(new NetworkError({ operation: op, symbol: s, reason: "ConnectionFailed", detail: "reset" })))
            )
        })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.5, 10)
        yield* cancelOrder(id)
        assert.strictEqual(yield* Ref.get(cancels), 1)
        assert.strictEqual((yield* fetchOrder(id)).status, "canceled")
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(wrapped(lossy)))
    }))

  it.effect("a rate-limited cancel waits out Retry-After, then is sent again", () =>
    Effect.gen(function*() {
      const cancels = yield* Ref.make(0)
      const limited = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          cancel: (op, s, id) =>
            Effect.flatMap(Ref.getAndUpdate(cancels, (n) => n + 1), (n) =>
              n === 0
                ? Effect.fail(new ExchangeError({ operation: op, symbol: s, orderId: id, reason: "RateLimited", detail: "429", retryAfterMs: 3_000 }))
                : v.cancel(op, s, id))
        })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.5, 10)
        const fiber = yield* Effect.forkChild(cancelOrder(id))
        yield* TestClock.adjust("2 seconds")
        assert.strictEqual(yield* Ref.get(cancels), 1) // still waiting out the 3 s
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.join(fiber)
        assert.strictEqual(yield* Ref.get(cancels), 2)
        assert.strictEqual((yield* activeOrders).size, 0)
      }).pipe(Effect.provide(wrapped(limited)))
    }))

  it.effect("a cancel Binance refuses as an unknown order is explained: OrderNotOpen when the order exists but is closed", () =>
    Effect.gen(function*() {
      // Binance answers "Unknown order sent." both for ids it never had and for orders no longer open.
      const binanceLike = (v: VenueService) =>
        Effect.succeed<VenueService>({
          ...v,
          cancel: (op, s, id) =>
            v.cancel(op, s, id).pipe(
              Effect.mapError((e) =>
                e._tag === "ExchangeError" && e.reason === "OrderNotOpen"
                  ? new ExchangeError({ operation: op, symbol: s, orderId: id, reason: "OrderNotFound", detail: "Unknown order sent." })
                  : e
              )
            )
        })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.5, 10)
        yield* cancelOrder(id)
        const again = yield* Effect.flip(cancelOrder(id))
        assert.strictEqual(again._tag === "ExchangeError" && again.reason, "OrderNotOpen")
        assert.include(again.message, "order is canceled")
        const never = yield* Effect.flip(cancelOrder("dry_run_999"))
        assert.strictEqual(never._tag === "ExchangeError" && never.reason, "OrderNotFound")
      }).pipe(Effect.provide(wrapped(binanceLike)))
    }))
})
