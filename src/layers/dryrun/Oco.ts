/**
 * The paper exchange's OCO lists, over its book (`Simulator.ts`): placing a
 * list (both legs checked as orders, Binance's price order against the last price,
 * one lock for the pair), ending a list when a leg fills, triggers or is cancelled
 * (the other leg expires or is cancelled with it), and finding a running list. The
 * book lends the few operations this needs (`OcoBook`); the pairing itself is
 * `DryRunTriggers.makeOcoPairs`.
 *
 * One lock for the pair: the larger of the legs' needs. Each leg counts its own
 * need as its part; when one leg ends the list, the other gives back what the pair
 * held beyond the first leg's part, and the first keeps (or spends) its own.
 */
import { Option, Result } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import { bySide, type OrderRecord } from "../../services/OrderRecord.ts"
import type { PaperOrder } from "../../services/PaperStore.ts"
import type { OcoRecord, SubmitOco, SubmitOrder } from "../../services/Venue.ts"
import type { OcoPairs, TriggerBook } from "./Triggers.ts"

/** What the book lends the lists. */
export interface OcoBook {
  readonly lists: OcoPairs
  readonly triggers: TriggerBook
  rulesOf(symbol: string): MarketRules | undefined
  price(symbol: string): D.Decimal | undefined
  openOrder(orderId: string): PaperOrder | undefined
  /** The book's checks of one order: the price its funds are counted at, or the refusal. */
  check(op: string, req: SubmitOrder): Result.Result<D.Decimal, ExchangeError>
  newOrder(req: SubmitOrder, now: number, lockPrice: D.Decimal, listId: Option.Option<string>): PaperOrder
  /** The id the next order will get. */
  nextId(): string
  lockFunds(op: string, symbol: string, clientOrderId: string, asset: string, need: D.Decimal): Result.Result<void, ExchangeError>
  release(o: PaperOrder, amount: D.Decimal): void
  /** Gives back the lock of `o`'s unfilled rest. */
  releaseRest(o: PaperOrder): void
  place(o: PaperOrder): void
  settle(o: PaperOrder, record: OrderRecord): OrderRecord
}

/** What a leg counts as its part of the pair's lock: a sell its quantity, a buy its quantity at its lock price. */
const partOf = (o: PaperOrder) => (bySide(o.record.side, { buy: D.mul(o.price, o.quantity), sell: o.quantity }))

export const makeOcoLists = (book: OcoBook) => {
  const { lists, triggers } = book

  /** Ends the list `o` is a leg of: the other leg ends with `status` and gives back what the pair held beyond `o`'s part. */
  const endList = (o: PaperOrder, status: "expired" | "canceled"): ReadonlyArray<OrderRecord> => {
    const otherId = lists.end(o.record.id)
    const other = otherId === undefined ? undefined : book.openOrder(otherId)
    if (other === undefined) return []
    triggers.remove(other.record.id)
    book.release(other, D.sub(D.max(partOf(o), partOf(other)), partOf(o)))
    return [book.settle(other, { ...other.record, status })]
  }

  const refuse = (op: string, req: SubmitOco, detail: string, reason: "InvalidOrder" | "DuplicateClientOrderId" = "InvalidOrder") =>
    Result.fail(new ExchangeError({ operation: op, symbol: req.symbol, clientOrderId: req.listClientOrderId, reason, detail }))

  /** Places an OCO: a limit-maker leg resting, a stop leg waiting for its trigger. */
  const submit = (op: string, req: SubmitOco, now: number): Result.Result<OcoRecord, ExchangeError> => {
    const rules = book.rulesOf(req.symbol)
    if (rules !== undefined && !rules.ocoAllowed) return refuse(op, req, "OCO orders are not supported for this symbol")
    if (lists.lists().some((l) => l.listClientOrderId === req.listClientOrderId)) return refuse(op, req, "Duplicate order sent.", "DuplicateClientOrderId")
    const leg = { symbol: req.symbol, side: req.side, quantity: req.quantity }
    const limitReq: SubmitOrder = { ...leg, clientOrderId: req.limitClientOrderId, type: "limit-maker", price: Option.some(req.price), triggerPrice: Option.none() }
    const stopReq: SubmitOrder = {
      ...leg,
      clientOrderId: req.stopClientOrderId,
      type: Option.isSome(req.stopLimitPrice) ? "stop-loss-limit" : "stop-loss",
      price: req.stopLimitPrice,
      triggerPrice: Option.some(req.triggerPrice)
    }
    const limitPrice = book.check(op, limitReq)
    if (Result.isFailure(limitPrice)) return Result.fail(limitPrice.failure)
    const stopPrice = book.check(op, stopReq)
    if (Result.isFailure(stopPrice)) return Result.fail(stopPrice.failure)
    const market = book.price(req.symbol)
    const [low, high] = bySide(req.side, { buy: [req.price, req.triggerPrice], sell: [req.triggerPrice, req.price] })
    if (!(D.lt(low, high) && (market === undefined || (D.lt(low, market) && D.lt(market, high))))) {
      return refuse(op, req, "The relationship of the prices for the orders is not correct.")
    }
    const listId = `dry_run_list_${book.nextId()}`
    const limit = book.newOrder(limitReq, now, limitPrice.success, Option.some(listId))
    const stop = book.newOrder(stopReq, now, stopPrice.success, Option.some(listId))
    const asset = bySide(req.side, { buy: rules!.quote, sell: rules!.base })
    const locked = book.lockFunds(op, req.symbol, req.listClientOrderId, asset, D.max(partOf(limit), partOf(stop)))
    if (Result.isFailure(locked)) return Result.fail(locked.failure)
    book.place(limit)
    book.place(stop)
    lists.link({ listId, listClientOrderId: req.listClientOrderId, limitOrderId: limit.record.id, stopOrderId: stop.record.id })
    return Result.succeed({ listId, listClientOrderId: req.listClientOrderId, limit: book.settle(limit, limit.record), stop: book.settle(stop, stop.record) })
  }

  /** Cancels both legs of a running list; `undefined` when no such list runs on `symbol`. */
  const cancel = (symbol: string, listId: string): OcoRecord | undefined => {
    const legs = lists.list(listId)
    const limitOrder = legs === undefined ? undefined : book.openOrder(legs.limitOrderId)
    if (legs === undefined || limitOrder === undefined || limitOrder.record.symbol !== symbol) return undefined
    book.releaseRest(limitOrder)
    const limit = book.settle(limitOrder, { ...limitOrder.record, status: "canceled" })
    const [stop] = endList(limitOrder, "canceled")
    return { listId, listClientOrderId: legs.listClientOrderId, limit, stop: stop! }
  }

  /** The running list with this client id. */
  const byClientId = (listClientOrderId: string): Option.Option<OcoRecord> => {
    const legs = lists.lists().find((l) => l.listClientOrderId === listClientOrderId)
    const limit = legs === undefined ? undefined : book.openOrder(legs.limitOrderId)
    const stop = legs === undefined ? undefined : book.openOrder(legs.stopOrderId)
    return legs === undefined || limit === undefined || stop === undefined
      ? Option.none()
      : Option.some({ listId: legs.listId, listClientOrderId, limit: limit.record, stop: stop.record })
  }

  return { submit, cancel, endList, byClientId }
}
