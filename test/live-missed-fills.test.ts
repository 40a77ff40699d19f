/**
 * A fill the user data stream never delivered, end to end against the loopback
 * Binance server: the stream withholds a partial fill, the bot cancels, and the
 * cancel's report is withheld too, so the engine learns of the fill only from the
 * cancel's REST answer (filled 40, no trade). Its trade is read from the exchange
 * (from the order's creation, not from the cancel's time, which is after the fill),
 * journaled and published once; none is made up. Where the exchange never lists
 * the trade, the fill is published without one after the bounded wait, with a WARN.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Logger, Option } from "effect"
import { cancelOrder, createLimitBuy, OrderJournal } from "../src/index.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import type { BinanceServer } from "./support/BinanceServer.ts"
import { collectEvents, describeEvents, eventually, withStream } from "./support/live-events.ts"

const ofOrder = (seen: ReadonlyArray<OrderEvent>, id: string) => seen.filter((e) => e.order.id === id)

/** The ids of the trades of order `id` whose reports the stream delivered, oldest first. */
const tradesOf = (server: BinanceServer, id: string): ReadonlyArray<string> =>
  server.userStream.sentEvents()
    .map((s) => s.event)
    .filter((e) => e["e"] === "executionReport" && String(e["i"]) === id && e["x"] === "TRADE")
    .map((e) => String(e["t"]))

/**
 * Withholds the stream, fills 40 of a 100 buy, moves the server clock on (so the
 * cancel's time is clearly after the fill's), and cancels: the cancel's report is
 * withheld too. Gives the order id.
 */
const missedFillThenCancel = (server: BinanceServer, hide: boolean) =>
  Effect.gen(function*() {
    const id = yield* createLimitBuy(0.05, 100)
    server.userStream.withholdEvents()
    server.fillOrder("HBARUSDT", { orderId: Number(id) }, "40")
    if (hide) server.unlistTrades("HBARUSDT", { orderId: Number(id) })
    server.setClockSkew(1_000)
    yield* cancelOrder(id)
    const answer = server.orders().find((o) => String(o.orderId) === id)
    assert.deepStrictEqual([answer?.status, answer?.executedQty], ["CANCELED", "40.00000000"])
    return id
  })

/** Delivers what the stream withheld, then waits until a later order's fill comes through it (so all before it was applied). */
const releaseAndDrain = (server: BinanceServer, seen: ReadonlyArray<OrderEvent>) =>
  Effect.gen(function*() {
    server.userStream.releaseEvents("deliver")
    server.setClockSkew(0)
    const marker = yield* createLimitBuy(0.05, 100)
    server.fillOrder("HBARUSDT", { orderId: Number(marker) })
    yield* eventually(seen, (s) => s.some((e) => e.order.id === marker && e._tag === "Filled"))
  })

describe("live: a fill the stream missed, then a cancel whose report it missed too", () => {
  it.live("the real trade is read from the exchange, journaled and published once; none is made up", () =>
    withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* missedFillThenCancel(server, false)
        yield* eventually(seen, (s) => ofOrder(s, id).some((e) => e._tag === "Canceled"))
        assert.deepStrictEqual(tradesOf(server, id), [], "the stream has not delivered the trade")
        yield* releaseAndDrain(server, seen)
        const [real] = tradesOf(server, id)
        assert.isDefined(real, "the stream delivered the trade's report at last")
        assert.deepStrictEqual(describeEvents(ofOrder(seen, id)), ["Accepted 0", `PartiallyFilled 40 trade ${real} 40`, "Canceled 40"])
        const journal = yield* OrderJournal
        const journaled = yield* journal.trades("binanceus", "HBAR/USDT", { orderIds: [id] })
        assert.deepStrictEqual(journaled.map((t) => [t.id, BigDecimal.format(t.quantity), t.clientOrderId !== ""]), [[real!, "40", true]])
      }), { events: { tradeWait: "30 seconds" } }))

  it.live("where the exchange never lists the trade: the fill is published without one after the wait, with a WARN", () => {
    const lines: Array<string> = []
    const logger = Logger.layer([Logger.make(({ logLevel, message }) => {
      lines.push(`${logLevel} ${(Array.isArray(message) ? message : [message]).map(String).join(" ")}`)
    })], { mergeWithExisting: false })
    return withStream((server) =>
      Effect.gen(function*() {
        const seen = yield* collectEvents
        const id = yield* missedFillThenCancel(server, true)
        yield* eventually(seen, (s) => ofOrder(s, id).some((e) => e._tag === "Canceled"))
        const events = ofOrder(seen, id)
        assert.deepStrictEqual(describeEvents(events), ["Accepted 0", "PartiallyFilled 40 no trade", "Canceled 40"])
        const fill = events[1]!
        assert.isTrue(fill._tag === "PartiallyFilled" && Option.isNone(fill.trade))
        assert.strictEqual(BigDecimal.format(fill.order.cost), "2", "the order's own figures: 40 at 0.05")
        assert.isTrue(lines.some((l) => l.startsWith("Warn") && l.includes(`Order ${id}`) && l.includes("without a trade")))
        // The stream's report of the trade, delivered late, publishes nothing more.
        yield* releaseAndDrain(server, seen)
        assert.strictEqual(ofOrder(seen, id).length, 3)
        assert.isFalse(lines.some((l) => l.startsWith("Error")), "nothing reached the caller")
      }), { events: { tradeWait: "300 millis" } }).pipe(Effect.provide(logger))
  })
})
