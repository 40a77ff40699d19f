/**
 * Order events: what `Exchange.orderEvents` publishes, one per change of an order
 * this process tracks, as it happens. Every event carries the order's record as it
 * stands after the change; a fill carries its trade too, as the exchange lists it.
 *
 * A fill's `trade` is `Option.none()` only when the exchange did not list the trade
 * within the bounded wait (`tradeWait`, default 10 s; the REST view showed the fill
 * but `myTrades` never did): the fill is then published as the order states it
 * (`filled`, `cost`), without a trade, and a WARN says so. No trade is ever made up.
 * If the trade is listed later, it is journaled (`fetchTrades` returns it) but not
 * published again: the fill it makes was published already.
 *
 * The guarantees (see docs/order-events.md, "Guarantees"):
 * - per order, events come in the order the changes happened: `Accepted` first,
 *   `Triggered` (a stop or take-profit firing) before its first fill, the fills,
 *   and at most one final event (`Filled`, `Canceled`, `Expired`, `Rejected`);
 * - each trade is published at most once, whichever mix of the exchange's stream
 *   and REST reads delivered it;
 * - an event is journaled and applied to the active orders before it is published,
 *   so a subscriber reading `activeOrders` on an event sees the change.
 */
import { Schema } from "effect"
import { OrderRecord } from "./OrderRecord.ts"
import { Trade } from "./Trade.ts"

/** The exchange took the order: it is open (resting, or waiting for its trigger). */
export const Accepted = Schema.TaggedStruct("Accepted", { order: OrderRecord })
/** A stop-loss or take-profit order's trigger fired: it now works as a market or limit order. */
export const Triggered = Schema.TaggedStruct("Triggered", { order: OrderRecord })
/**
 * The trade of a fill: the exchange's own, or none when the exchange did not list it
 * within the bounded wait (see the header); never one made up.
 */
export const FillTrade = Schema.Option(Trade)
/** One fill that left the order open (or ended with the order's cancel, expiry or rejection after it). */
export const PartiallyFilled = Schema.TaggedStruct("PartiallyFilled", { order: OrderRecord, trade: FillTrade })
/** The fill that completed the order. */
export const Filled = Schema.TaggedStruct("Filled", { order: OrderRecord, trade: FillTrade })
/** The order was cancelled (by this process, another, or the exchange), possibly after partial fills. */
export const Canceled = Schema.TaggedStruct("Canceled", { order: OrderRecord })
/** The order expired: its time in force ran out, or it was the other leg of an OCO that filled or triggered. */
export const Expired = Schema.TaggedStruct("Expired", { order: OrderRecord })
/** The exchange rejected the order after accepting the request. */
export const Rejected = Schema.TaggedStruct("Rejected", { order: OrderRecord })

export const OrderEvent = Schema.Union([Accepted, Triggered, PartiallyFilled, Filled, Canceled, Expired, Rejected])
export type OrderEvent = typeof OrderEvent.Type

/** The event tags, for `event._tag` checks. */
export type OrderEventTag = OrderEvent["_tag"]

/** Whether an event is a fill (its `trade` is the exchange's, or none: see the header). */
export const isFill = (e: OrderEvent): e is typeof PartiallyFilled.Type | typeof Filled.Type =>
  e._tag === "PartiallyFilled" || e._tag === "Filled"

/**
 * Where a process's order events come from right now:
 * - `connected`: the exchange's stream is up (plus a slow safety poll);
 * - `reconnecting`: the stream dropped and is coming back; REST polls cover the gap;
 * - `polling`: no stream (the exchange has none, or it is down): REST polls only;
 * - `off`: events were turned off (`events: false`); only the bot's own calls update orders.
 */
export type EventSourceState = "connected" | "reconnecting" | "polling" | "off"
