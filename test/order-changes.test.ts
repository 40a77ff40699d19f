/**
 * From views of an order to its events (`OrderChanges.ts`): the order of events,
 * each trade once whatever mix of views and trade lists delivered it, and a fill
 * whose trade is unknown held back rather than guessed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { changes, publishedAsIs } from "../src/layers/engine/OrderChanges.ts"
import * as D from "../src/services/Decimal.ts"
import type { OrderEvent } from "../src/services/OrderEvent.ts"
import type { OrderRecord } from "../src/services/OrderRecord.ts"
import type { Trade } from "../src/services/Trade.ts"
import { limitRecord, text } from "./support/amounts.ts"

const order = limitRecord({ id: "7", clientOrderId: "oo_x", symbol: "HBAR/USDT", price: "0.05", quantity: "100" })

/** The order's view with `filled` (at 0.05) and `status`. */
const view = (filled: string, status: OrderRecord["status"] = "open", over: Partial<OrderRecord> = {}): OrderRecord => ({
  ...order,
  filled: D.unsafe(filled),
  cost: D.mul(D.unsafe(filled), D.unsafe("0.05")),
  status,
  ...over
})

const trade = (id: string, quantity: string, timestamp: number): Trade => ({
  id,
  orderId: "7",
  clientOrderId: "oo_x",
  side: "buy",
  price: D.unsafe("0.05"),
  quantity: D.unsafe(quantity),
  quoteQuantity: D.mul(D.unsafe(quantity), D.unsafe("0.05")),
  fee: D.unsafe("0.01"),
  feeAsset: "HBAR",
  maker: true,
  timestamp
})

/** Each event as `Tag status filled [trade id]`. */
const summary = (events: ReadonlyArray<OrderEvent>) =>
  events.map((e) => `${e._tag} ${e.order.status} ${text(e.order.filled)}${"trade" in e ? Option.match(e.trade, { onNone: () => " no trade", onSome: (t) => ` ${t.id}` }) : ""}`)

describe("order changes", () => {
  it("a new order is Accepted, its fills follow one per trade, and the last fill is Filled with the exchange's final view", () => {
    const t1 = trade("1", "40", 1)
    const t2 = trade("2", "60", 2)
    const result = changes(Option.none(), view("100", "closed"), [t2, t1])
    expect(summary(result.events)).toEqual(["Accepted open 0", "PartiallyFilled open 40", "Filled closed 100 2"].map((s, i) =>
      i === 1 ? `${s} 1` : s))
    expect(result.complete).toBe(true)
    // Fees come from the trades when the view states none.
    expect(text(result.published.record.fees["HBAR"]!)).toBe("0.02")
  })

  it("a trade already covered by what was published is not published again, whichever source brings it", () => {
    const t1 = trade("1", "40", 1)
    const first = changes(Option.some(publishedAsIs(view("0"))), view("40"), [t1])
    expect(summary(first.events)).toEqual(["PartiallyFilled open 40 1"])
    // The same trade again (the REST reconciliation after the stream), with or without the same view.
    expect(changes(Option.some(first.published), view("40"), [t1]).events).toEqual([])
    // A later view brings the second trade along with the first one: only the second is new.
    const t2 = trade("2", "60", 2)
    expect(summary(changes(Option.some(first.published), view("100", "closed"), [t1, t2]).events)).toEqual(["Filled closed 100 2"])
  })

  it("trades arriving out of order are each published once, and the order completes", () => {
    const t1 = trade("1", "40", 1)
    const t2 = trade("2", "60", 2)
    // The later trade comes first (with a view that already counts both).
    const first = changes(Option.some(publishedAsIs(view("0"))), view("100", "closed"), [t2])
    expect(summary(first.events)).toEqual(["PartiallyFilled open 60 2"])
    expect(first.complete).toBe(false)
    const second = changes(Option.some(first.published), view("100", "closed"), [t1, t2])
    expect(summary(second.events)).toEqual(["Filled closed 100 1"])
    expect(second.complete).toBe(true)
  })

  it("an order taken over with fills counts its oldest trades as published", () => {
    const taken = publishedAsIs(view("40"))
    const result = changes(Option.some(taken), view("100", "closed"), [trade("1", "40", 1), trade("2", "60", 2)])
    expect(summary(result.events)).toEqual(["Filled closed 100 2"])
  })

  it("a fill whose trade is not known is held back, and the final status with it", () => {
    const result = changes(Option.some(publishedAsIs(view("0"))), view("100", "canceled"), [trade("1", "40", 1)])
    expect(summary(result.events)).toEqual(["PartiallyFilled open 40 1"])
    expect(result.complete).toBe(false)
    expect(text(result.published.record.filled)).toBe("40")
    const later = changes(Option.some(result.published), view("100", "canceled"), [trade("1", "40", 1), trade("2", "60", 2)])
    expect(summary(later.events)).toEqual(["Filled closed 100 2", "Canceled canceled 100"])
  })

  it("a cancel after a partial fill gives the fill, then Canceled", () => {
    const result = changes(Option.some(publishedAsIs(view("0"))), view("40", "canceled"), [trade("1", "40", 1)])
    expect(summary(result.events)).toEqual(["PartiallyFilled open 40 1", "Canceled canceled 40"])
    expect(result.published.record.status).toBe("canceled")
  })

  it("a late view (less filled) and any view after the final one change nothing", () => {
    const published = publishedAsIs(view("40"))
    expect(changes(Option.some(published), view("0"), []).events).toEqual([])
    expect(changes(Option.some(publishedAsIs(view("40", "canceled"))), view("100", "closed"), [trade("1", "40", 1), trade("2", "60", 2)]).events).toEqual([])
  })

  it("a stop order is Triggered before its first fill, whether or not a view said so first", () => {
    const stop = (filled: string, status: OrderRecord["status"], triggered: boolean): OrderRecord =>
      view(filled, status, { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.06")), triggered })
    const accepted = changes(Option.none(), stop("0", "open", false), [])
    expect(summary(accepted.events)).toEqual(["Accepted open 0"])
    expect(accepted.published.record.triggered).toBe(false)
    // Straight to filled: Triggered, then the fill.
    const filled = changes(Option.some(accepted.published), stop("100", "closed", true), [trade("1", "100", 5)])
    expect(summary(filled.events)).toEqual(["Triggered open 0", "Filled closed 100 1"])
    // Triggered and resting: one event, and not again on the next view.
    const working = changes(Option.some(accepted.published), stop("0", "open", true), [])
    expect(summary(working.events)).toEqual(["Triggered open 0"])
    expect(changes(Option.some(working.published), stop("0", "open", true), []).events).toEqual([])
  })

  it("a final view that does not say whether the trigger fired keeps what was published", () => {
    const stop = view("0", "open", { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.06")), triggered: false })
    const { triggered: _, ...silent } = view("0", "expired", { type: "stop-loss-limit", triggerPrice: Option.some(D.unsafe("0.06")) })
    const result = changes(Option.some(publishedAsIs(stop)), silent, [])
    expect(result.events.map((e) => [e._tag, e.order.triggered])).toEqual([["Expired", false]])
  })

  it("an order new to the subscribers and already final gives Accepted, then its end", () => {
    expect(summary(changes(Option.none(), view("0", "expired"), []).events)).toEqual(["Accepted open 0", "Expired expired 0"])
  })

  it("a waiting fill's trades are read from the order's creation, not from a later view's time; after a trade, from that trade", () => {
    const accepted = changes(Option.none(), view("0", "open", { timestamp: 1_000 }), [])
    expect(accepted.published.tradesFrom).toBe(1_000)
    // The cancel's answer (its time 9,000, after the fill at 5,000) shows 40 filled, no trade known: it waits.
    const canceled = view("40", "canceled", { timestamp: 9_000 })
    const waiting = changes(Option.some(accepted.published), canceled, [])
    expect(waiting.complete).toBe(false)
    expect(waiting.published.tradesFrom).toBe(1_000)
    // The read from there finds the real trade: published once, then the cancel.
    const done = changes(Option.some(waiting.published), canceled, [trade("31", "40", 5_000)])
    expect(summary(done.events)).toEqual(["PartiallyFilled open 40 31", "Canceled canceled 40"])
    const partly = changes(Option.some(accepted.published), view("40", "open", { timestamp: 1_000 }), [trade("31", "40", 5_000)])
    expect(partly.published.tradesFrom).toBe(5_000)
  })

  it("a fill the exchange never listed goes without a trade only when allowed, once; its trade listed later is not published again", () => {
    const accepted = changes(Option.none(), view("0"), [])
    expect(changes(Option.some(accepted.published), view("40"), [], false).complete).toBe(false)
    const untraded = changes(Option.some(accepted.published), view("40"), [], true)
    expect(summary(untraded.events)).toEqual(["PartiallyFilled open 40 no trade"])
    expect(untraded.complete).toBe(true)
    expect(text(untraded.events[0]!.order.cost)).toBe("2")
    // Its trade shows up later, with the next fill's: only the next is published.
    const next = changes(Option.some(untraded.published), view("100", "closed"), [trade("1", "40", 1), trade("2", "60", 2)])
    expect(summary(next.events)).toEqual(["Filled closed 100 2"])
    expect(changes(Option.some(next.published), view("100", "closed"), [trade("1", "40", 1)], true).events).toEqual([])
  })
})
