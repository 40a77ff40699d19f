/**
 * From views of an order to the events that describe its change: the pure heart of
 * order events. Given what was last published of an order (none for an order not
 * published yet), its newest view and the trades known for it, it gives the events
 * to publish, in the order the changes happened, and what is published after them.
 *
 * Each trade is published once: what is published of an order remembers the ids of
 * the trades it published, so a trade delivered by the stream and again by a REST
 * read (or journaled by `fetchTrades` in between) is published once, whichever comes
 * first and in whatever order trades arrive. An order taken over with fills already
 * (at start-up, or while no one subscribed) counts those in quantity: its oldest
 * trades up to that quantity are the ones it had. A fill whose trade is not known yet
 * is not guessed: the change stays incomplete (`complete: false`) until its trades
 * are read, and nothing after it (the final status) is published before it. Only
 * where the exchange never lists them (`derivedTrade`, after several reads) is the
 * fill published with a trade derived from the order's own change.
 */
import { Option } from "effect"
import * as D from "../../services/Decimal.ts"
import type * as OrderEvent from "../../services/OrderEvent.ts"
import { addFee, averageOf, type Fees, isTriggerType, type OrderRecord } from "../../services/OrderRecord.ts"
import { type Trade, uniqueTrades } from "../../services/Trade.ts"

/** What is published of an order: its record, and which of its fills are published. */
export interface Published {
  readonly record: OrderRecord
  /** The trades published for it, by id. */
  readonly tradeIds: ReadonlySet<string>
  /** Filled quantity published without its trades (taken over as it stood): its oldest trades up to this much. */
  readonly untraded: D.Decimal
}

/** An order taken over as it stands: nothing of it to publish again. */
export const publishedAsIs = (record: OrderRecord): Published => ({ record, tradeIds: new Set(), untraded: record.filled })

export interface Changes {
  readonly events: ReadonlyArray<OrderEvent.OrderEvent>
  /** What is published of the order after `events`. */
  readonly published: Published
  /** False when some of the view's fills wait for their trades. */
  readonly complete: boolean
}

/** The record of `view` as it was when accepted: open, nothing filled, not triggered. */
const asAccepted = (view: OrderRecord): OrderRecord => {
  const { triggered: _, ...rest } = view
  return {
    ...rest,
    ...(isTriggerType(view.type) ? { triggered: false } : {}),
    filled: D.ZERO,
    cost: D.ZERO,
    averagePrice: Option.none(),
    fees: {},
    status: "open"
  }
}

/** `view`'s descriptive fields with `amounts`' fill amounts, still open. */
const openWith = (view: OrderRecord, amounts: OrderRecord): OrderRecord => ({
  ...view,
  filled: amounts.filled,
  cost: amounts.cost,
  averagePrice: amounts.averagePrice,
  fees: amounts.fees,
  status: "open",
  ...(amounts.triggered === undefined ? {} : { triggered: amounts.triggered })
})

/** Whether `view` says nothing newer than `published` (an older or repeated view). */
const isStale = (published: OrderRecord, view: OrderRecord): boolean =>
  published.status !== "open" || D.lt(view.filled, published.filled)

/**
 * The order's trades not published yet, oldest first: not among `published`'s ids, and
 * past the oldest ones that make up its `untraded` quantity.
 */
const unpublished = (orderId: string, trades: ReadonlyArray<Trade>, published: Published): ReadonlyArray<Trade> => {
  const sorted = uniqueTrades(trades.filter((t) => t.orderId === orderId && !published.tradeIds.has(t.id)))
  let sum = D.ZERO
  let i = 0
  while (i < sorted.length && D.lt(sum, published.untraded)) sum = D.add(sum, sorted[i++]!.quantity)
  return sorted.slice(i)
}

/**
 * A trade for the part of `view`'s fills that the known `trades` do not explain, derived
 * from the order's change since `published`: id `<order id>@<filled>`, the average price
 * of that part, the fee when one asset's fee grew, `maker` false (unknown). For an
 * exchange whose API does not list an account's trades.
 */
export const derivedTrade = (from: Published, view: OrderRecord, trades: ReadonlyArray<Trade>, now: number): Trade => {
  const published = from.record
  const known = unpublished(view.id, trades, from)
  const explained = known.reduce((sum, t) => ({ filled: D.add(sum.filled, t.quantity), cost: D.add(sum.cost, t.quoteQuantity) }), {
    filled: published.filled,
    cost: published.cost
  })
  const quantity = D.sub(view.filled, explained.filled)
  const quoteQuantity = D.max(D.ZERO, D.sub(view.cost, explained.cost))
  const grown = Object.entries(view.fees).filter(([asset, fee]) => D.gt(fee, published.fees[asset] ?? D.ZERO))
  const [feeAsset, fee] = grown.length === 1 ? [grown[0]![0], D.sub(grown[0]![1], published.fees[grown[0]![0]] ?? D.ZERO)] : ["", D.ZERO]
  return {
    id: `${view.id}@${D.format(view.filled)}`,
    orderId: view.id,
    clientOrderId: view.clientOrderId,
    side: view.side,
    price: Option.getOrElse(averageOf(quoteQuantity, quantity), () => D.ZERO),
    quantity,
    quoteQuantity,
    fee,
    feeAsset,
    maker: false,
    timestamp: now
  }
}

/** The final event of a view whose status is final and not `closed` (a fill ends a closed order). */
const finalEvent = (view: OrderRecord): Option.Option<OrderEvent.OrderEvent> => {
  switch (view.status) {
    case "canceled":
      return Option.some({ _tag: "Canceled", order: view })
    case "expired":
      return Option.some({ _tag: "Expired", order: view })
    case "rejected":
      return Option.some({ _tag: "Rejected", order: view })
    default:
      return Option.none()
  }
}

/** `view` with the fees its trades add up to, when it states none itself. */
const withFees = (view: OrderRecord, fees: Fees, triggered: boolean | undefined): OrderRecord => ({
  ...view,
  fees: Object.keys(view.fees).length === 0 ? fees : view.fees,
  ...(triggered === true ? { triggered } : {})
})

/**
 * The events from `published` (none: the order is new to the subscribers) to `view`,
 * given the order's known `trades` (any mix of old and new, repeats allowed).
 */
export const changes = (published: Option.Option<Published>, view: OrderRecord, trades: ReadonlyArray<Trade>): Changes => {
  const events: Array<OrderEvent.OrderEvent> = []
  let current: OrderRecord
  let from: Published
  if (Option.isNone(published)) {
    current = asAccepted(view)
    from = { record: current, tradeIds: new Set(), untraded: D.ZERO }
    events.push({ _tag: "Accepted", order: current })
  } else {
    if (isStale(published.value.record, view)) return { events, published: published.value, complete: true }
    from = published.value
    current = from.record
  }

  const fills = D.gt(view.filled, current.filled)
  if (isTriggerType(view.type) && current.triggered !== true && (view.triggered === true || fills || view.status === "closed")) {
    current = { ...openWith(view, current), triggered: true }
    events.push({ _tag: "Triggered", order: current })
  }

  const tradeIds = new Set(from.tradeIds)
  for (const trade of fills ? unpublished(view.id, trades, from) : []) {
    const filled = D.add(current.filled, trade.quantity)
    if (D.gt(filled, view.filled)) break
    const cost = D.add(current.cost, trade.quoteQuantity)
    const fees = D.isZero(trade.fee) ? current.fees : addFee(current.fees, trade.feeAsset, trade.fee)
    const last = D.eq(filled, view.filled)
    const full = D.gte(filled, view.quantity) || (last && view.status === "closed")
    current = last && view.status === "closed"
      ? withFees(view, fees, current.triggered)
      : { ...openWith(view, current), filled, cost, averagePrice: averageOf(cost, filled), fees, ...(full ? { status: "closed" as const } : {}) }
    tradeIds.add(trade.id)
    events.push(full ? { _tag: "Filled", order: current, trade } : { _tag: "PartiallyFilled", order: current, trade })
  }
  // The untraded quantity is behind the trades now published: they come after it.
  const next = (record: OrderRecord): Published => ({ record, tradeIds, untraded: from.untraded })

  if (D.lt(current.filled, view.filled)) return { events, published: next(current), complete: false }
  // A final view that does not say whether the trigger fired (a stream's report of an order leaving the book) keeps what was known.
  const final = view.triggered === undefined && current.triggered !== undefined ? { ...view, triggered: current.triggered } : view
  const ended = finalEvent(final)
  if (Option.isSome(ended)) {
    events.push(ended.value)
    return { events, published: next(final), complete: true }
  }
  // Open (or closed by the last fill): the view as it stands, keeping the trigger and fees known.
  return { events, published: next(current.status === "open" ? withFees(view, current.fees, current.triggered) : current), complete: true }
}
