/**
 * The paper exchange's trigger orders and OCO lists, beside its book
 * (`Simulator.ts`): which stop-loss and take-profit orders wait for their
 * trigger, and which orders are the two legs of one list. Plain synchronous
 * bookkeeping, so that the simulator decides fills and funds in one place and this
 * module only answers "which triggers has this price reached?" and "which order
 * goes when this one ends?".
 *
 * A trigger fires by the rule every layer shares (`TriggerRules.fires`): a sell
 * stop-loss when the price falls to it, and so on. Triggers reached by one price
 * move fire in the order they were placed, as an exchange's would.
 */
import { Option } from "effect"
import type * as D from "../../services/Decimal.ts"
import { isTriggerType, type OrderSide } from "../../services/OrderRecord.ts"
import type { PaperOrder } from "../../services/PaperStore.ts"
import { fires, type TriggerKind, triggerKindOf } from "../../services/TriggerRules.ts"

/** An order waiting for its trigger. */
export interface PendingTrigger {
  readonly orderId: string
  readonly symbol: string
  readonly kind: TriggerKind
  readonly side: OrderSide
  readonly triggerPrice: D.Decimal
  /** Placement order, for firing in sequence. */
  readonly seq: number
}

export type TriggerBook = ReturnType<typeof makeTriggerBook>

export const makeTriggerBook = () => {
  const bySymbol = new Map<string, Map<string, PendingTrigger>>()
  const symbolOf = new Map<string, string>()

  return {
    /** Puts an order on the book until its trigger fires or it is removed. */
    add: (t: PendingTrigger): void => {
      let book = bySymbol.get(t.symbol)
      if (book === undefined) {
        book = new Map()
        bySymbol.set(t.symbol, book)
      }
      book.set(t.orderId, t)
      symbolOf.set(t.orderId, t.symbol)
    },
    /** Takes an order off the book (cancelled, or ended by its list); whether it was waiting. */
    remove: (orderId: string): boolean => {
      const symbol = symbolOf.get(orderId)
      if (symbol === undefined) return false
      symbolOf.delete(orderId)
      return bySymbol.get(symbol)?.delete(orderId) ?? false
    },
    /** Whether the order still waits for its trigger. */
    waiting: (orderId: string): boolean => symbolOf.has(orderId),
    /** The symbol's triggers that the last price `last` has reached, oldest first, taken off the book. */
    fire: (symbol: string, last: D.Decimal): ReadonlyArray<PendingTrigger> => {
      const book = bySymbol.get(symbol)
      if (book === undefined || book.size === 0) return []
      const fired: Array<PendingTrigger> = []
      for (const t of book.values()) {
        if (fires(t.kind, t.side, t.triggerPrice, last)) fired.push(t)
      }
      for (const t of fired) {
        book.delete(t.orderId)
        symbolOf.delete(t.orderId)
      }
      return fired.sort((a, b) => a.seq - b.seq)
    }
  }
}

/** The legs of one OCO list. */
export interface OcoLegs {
  readonly listId: string
  /** The list's client id; empty for a list resumed from the journal, which does not keep it. */
  readonly listClientOrderId: string
  readonly limitOrderId: string
  readonly stopOrderId: string
}

export type OcoPairs = ReturnType<typeof makeOcoPairs>

/**
 * Which open orders are legs of one list. When a leg fills (even in part), is
 * cancelled or expires, `end` names the other leg, which the simulator expires (on
 * a fill) or cancels (on a cancel), and the list is over.
 */
export const makeOcoPairs = () => {
  const byOrder = new Map<string, OcoLegs>()
  const byList = new Map<string, OcoLegs>()
  return {
    link: (legs: OcoLegs): void => {
      byList.set(legs.listId, legs)
      byOrder.set(legs.limitOrderId, legs)
      byOrder.set(legs.stopOrderId, legs)
    },
    /** The running list `orderId` is a leg of. */
    listOf: (orderId: string): OcoLegs | undefined => byOrder.get(orderId),
    /** The running list with this id. */
    list: (listId: string): OcoLegs | undefined => byList.get(listId),
    /** Ends the list `orderId` is a leg of; gives the other leg's id, or `undefined` when it is no leg of a running list. */
    end: (orderId: string): string | undefined => {
      const legs = byOrder.get(orderId)
      if (legs === undefined) return undefined
      byList.delete(legs.listId)
      byOrder.delete(legs.limitOrderId)
      byOrder.delete(legs.stopOrderId)
      return legs.limitOrderId === orderId ? legs.stopOrderId : legs.limitOrderId
    },
    /** The running lists. */
    lists: (): ReadonlyArray<OcoLegs> => Array.from(byList.values())
  }
}

/** The trigger an open paper order waits for: a stop-loss or take-profit order's whose trigger has not fired yet. */
export const pendingTriggerOf = (o: PaperOrder): PendingTrigger | undefined => {
  const { record } = o
  if (!isTriggerType(record.type) || Option.isNone(record.triggerPrice) || o.triggeredAt !== undefined) return undefined
  return { orderId: record.id, symbol: record.symbol, kind: triggerKindOf(record.type), side: record.side, triggerPrice: record.triggerPrice.value, seq: o.seq }
}

/**
 * Rebuilds the trigger book and the lists from a resumed session's open orders. A
 * trigger order whose trigger has not fired waits again; one that fired
 * (`triggeredAt`) stays off the trigger book and works at its limit, as on Binance.
 * A list's legs are the open orders sharing its id (its client id is not kept, so
 * it cannot be looked up by it).
 */
export const resume = (open: ReadonlyArray<PaperOrder>, triggers: TriggerBook, lists: OcoPairs): void => {
  for (const o of open) {
    const t = pendingTriggerOf(o)
    if (t !== undefined) triggers.add(t)
  }
  for (const limit of open) {
    if (limit.record.type !== "limit-maker" || Option.isNone(limit.record.listId)) continue
    const listId = limit.record.listId.value
    const stop = open.find((o) => o !== limit && Option.getOrUndefined(o.record.listId) === listId)
    if (stop !== undefined) lists.link({ listId, listClientOrderId: "", limitOrderId: limit.record.id, stopOrderId: stop.record.id })
  }
}
