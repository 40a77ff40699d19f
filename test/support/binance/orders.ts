/**
 * One order of the Binance test server: its state, the order types Binance.US
 * documents (rest-api.md "New order") and how a request becomes a validated
 * {@link OrderInput}: mandatory and unwanted parameters per type (-1102/-1106),
 * decimal syntax (-1100/-1111) and the symbol's filters (-1013). The engine
 * (./engine.ts) adds what needs the book: duplicates, triggers, funds.
 */
import { randomBytes } from "node:crypto"
import * as D from "./decimal.ts"
import type { Dec } from "./decimal.ts"
import { fail, filterFailure, mandatory, notRequired, rejected } from "./errors.ts"
import type { SymbolRules } from "./markets.ts"

export type Params = Readonly<Record<string, string>>
export type Side = "BUY" | "SELL"
export type OrderStatus = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED"
export type OrderType = "LIMIT" | "LIMIT_MAKER" | "MARKET" | "STOP_LOSS" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT" | "TAKE_PROFIT_LIMIT"

export interface Fill {
  readonly price: Dec
  readonly qty: Dec
  readonly commission: Dec
  readonly commissionAsset: string
  readonly tradeId: number
  readonly isMaker: boolean
  readonly time: number
}

export interface Order {
  readonly rules: SymbolRules
  readonly orderId: number
  /** The OCO this order is a leg of; -1 when none. */
  readonly orderListId: number
  readonly clientOrderId: string
  readonly side: Side
  readonly type: OrderType
  readonly timeInForce: string
  /** The limit price; zero for MARKET, STOP_LOSS and TAKE_PROFIT. */
  readonly price: Dec
  /** The trigger of the four stop types; zero otherwise. */
  readonly stopPrice: Dec
  readonly origQty: Dec
  readonly origQuoteOrderQty: Dec
  readonly time: number
  /** When the order started working (placed on the book or triggered); -1 for a stop not triggered yet. */
  workingTime: number
  executedQty: Dec
  cummulativeQuoteQty: Dec
  status: OrderStatus
  updateTime: number
  /** What this order still holds locked (quote for a buy, base for a sell). */
  lockedLeft: Dec
  readonly fills: Array<Fill>
  /** The `newClientOrderId` of the request that cancelled it (Binance's `clientOrderId` of a cancel). */
  cancelClientOrderId?: string
}

/** A new order, validated against the request rules and the symbol's filters. */
export interface OrderInput {
  readonly rules: SymbolRules
  readonly side: Side
  readonly type: OrderType
  readonly clientOrderId: string
  readonly quantity: Dec
  readonly price: Dec | undefined
  readonly stopPrice: Dec | undefined
  readonly quoteOrderQty: Dec | undefined
  readonly timeInForce: string | undefined
}

export const isOpen = (o: Order): boolean => o.status === "NEW" || o.status === "PARTIALLY_FILLED"
export const isStopType = (type: string): boolean =>
  type === "STOP_LOSS" || type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT" || type === "TAKE_PROFIT_LIMIT"
/** Executes as a MARKET order once working: MARKET itself, STOP_LOSS and TAKE_PROFIT. */
export const isMarketLike = (type: string): boolean => type === "MARKET" || type === "STOP_LOSS" || type === "TAKE_PROFIT"
export const isWorking = (o: Order): boolean => o.workingTime !== -1

/** The price a buy locks per unit: its limit, or its trigger for a stop that becomes a market order. */
export const buyLockPrice = (o: { readonly type: string; readonly price: Dec; readonly stopPrice: Dec }): Dec =>
  o.type === "MARKET" ? D.ZERO : isMarketLike(o.type) ? o.stopPrice : o.price

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/** A 22-character id like the ones Binance generates. */
export const randomClientId = (): string => Array.from(randomBytes(22), (b) => ALPHABET[b % 62]).join("")

/** A client id parameter (`name`), checked against Binance's legal range, or a generated one. */
export const clientIdParam = (params: Params, name: string): string => {
  const id = params[name] ?? randomClientId()
  if (!CLIENT_ID.test(id)) fail(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.`)
  return id
}

/** Reads a DECIMAL parameter the way Binance does (-1100 illegal characters, -1111 more than 8 decimals). */
export const decimalParam = (params: Params, name: string): Dec | undefined => {
  const raw = params[name]
  if (raw === undefined || raw === "") return undefined
  const value = D.parseParam(raw)
  if (value === undefined) {
    return fail(-1100, `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`)
  }
  if (D.fractionDigits(raw) > 8) fail(-1111, "Precision is over the maximum defined for this asset.")
  return value
}

export const sideParam = (params: Params): Side => {
  const side = params["side"] ?? mandatory("side")
  return side === "BUY" || side === "SELL" ? side : fail(-1100, "Illegal characters found in parameter 'side'; legal range is 'BUY, SELL'.")
}

export const respTypeParam = (params: Params): string | undefined => {
  const respType = params["newOrderRespType"]
  if (respType !== undefined && !["ACK", "RESULT", "FULL"].includes(respType)) {
    fail(-1100, "Illegal characters found in parameter 'newOrderRespType'; legal range is 'ACK, RESULT, FULL'.")
  }
  return respType
}

const ORDER_TYPES: ReadonlyArray<string> = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]
const TIME_IN_FORCE = ["GTC", "IOC", "FOK"]

export const UNSUPPORTED_TYPE: Record<string, string> = {
  MARKET: "Market orders are not supported for this symbol.",
  LIMIT_MAKER: "Limit maker orders are not supported for this symbol.",
  STOP_LOSS: "Stop loss orders are not supported for this symbol.",
  STOP_LOSS_LIMIT: "Stop loss limit orders are not supported for this symbol.",
  TAKE_PROFIT: "Take profit orders are not supported for this symbol.",
  TAKE_PROFIT_LIMIT: "Take profit limit orders are not supported for this symbol."
}

/** POST /api/v3/order's parameters, with each type's mandatory ones (rest-api.md's table). */
export const readOrderParams = (params: Params, rules: SymbolRules): OrderInput => {
  const side = sideParam(params)
  const type = params["type"] ?? mandatory("type")
  if (!ORDER_TYPES.includes(type)) return fail(-1116, "Invalid orderType.")
  const orderType = type as OrderType
  const clientOrderId = clientIdParam(params, "newClientOrderId")
  respTypeParam(params)
  const quantity = decimalParam(params, "quantity")
  const price = decimalParam(params, "price")
  const stopPrice = decimalParam(params, "stopPrice")
  const quoteOrderQty = decimalParam(params, "quoteOrderQty")
  const timeInForce = params["timeInForce"]
  const limitLike = type === "LIMIT" || type === "STOP_LOSS_LIMIT" || type === "TAKE_PROFIT_LIMIT"
  if (limitLike) {
    if (timeInForce === undefined) return mandatory("timeInForce")
    if (!TIME_IN_FORCE.includes(timeInForce)) return fail(-1115, "Invalid timeInForce.")
  } else if (timeInForce !== undefined) {
    return notRequired("timeInForce")
  }
  if (params["trailingDelta"] !== undefined) fail(-1020, "This operation is not supported.") // trailing stops are not modelled
  if (isStopType(type) && stopPrice === undefined) return mandatory("stopPrice")
  if (!isStopType(type) && stopPrice !== undefined) return notRequired("stopPrice")
  if (type === "MARKET") {
    if (quantity === undefined && quoteOrderQty === undefined) fail(-1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!")
    if (quantity !== undefined && quoteOrderQty !== undefined) notRequired("quoteOrderQty")
  } else {
    if (quantity === undefined) return mandatory("quantity")
    if (quoteOrderQty !== undefined) notRequired("quoteOrderQty")
  }
  if (isMarketLike(type) && price !== undefined) notRequired("price")
  if (!isMarketLike(type) && price === undefined) return mandatory("price")
  return { rules, side, type: orderType, clientOrderId, quantity: quantity ?? D.ZERO, price, stopPrice, quoteOrderQty, timeInForce }
}

/** The symbol is trading and allows the order's type (and a quote quantity, when one is used). */
export const checkAllowed = (input: OrderInput): void => {
  const info = input.rules.info
  if (info.status !== "TRADING") fail(-1013, "Market is closed.")
  if (!info.orderTypes.includes(input.type)) rejected(UNSUPPORTED_TYPE[input.type] ?? "Unsupported order combination")
  if (input.quoteOrderQty !== undefined && info["quoteOrderQtyMarketAllowed"] === false) {
    rejected("Quote order qty market orders are not support for this symbol.")
  }
}

const inPriceFilter = (r: NonNullable<SymbolRules["price"]>, price: Dec): boolean =>
  !((D.isPositive(r.min) && D.lt(price, r.min)) || (D.isPositive(r.max) && D.gt(price, r.max)) || !D.isMultipleOf(D.sub(price, r.min), r.tick))

/**
 * The symbol's filters, as errors.md names their failures. `open` is the number of
 * open orders on the symbol, `openStops` of open stop orders, `adding` how many
 * orders this request adds (2 for an OCO).
 */
export const checkFilters = (
  input: OrderInput,
  market: Dec | undefined,
  counts: { readonly open: number; readonly openStops: number; readonly adding: number }
): void => {
  const { rules, type, quantity: qty, price, stopPrice } = input
  const marketLike = isMarketLike(type)
  for (const f of rules.info.filters) {
    switch (f["filterType"]) {
      case "PRICE_FILTER": {
        const r = rules.price
        if (r === undefined) break
        // the filter applies to the limit price and to the trigger alike
        if (price !== undefined && !marketLike && !inPriceFilter(r, price)) filterFailure("PRICE_FILTER")
        if (stopPrice !== undefined && !inPriceFilter(r, stopPrice)) filterFailure("PRICE_FILTER")
        break
      }
      case "PERCENT_PRICE": {
        const r = rules.percentPrice
        if (marketLike || r === undefined || price === undefined || market === undefined) break
        if (D.gt(price, D.mul(market, r.up)) || D.lt(price, D.mul(market, r.down))) filterFailure("PERCENT_PRICE")
        break
      }
      case "LOT_SIZE":
      case "MARKET_LOT_SIZE": {
        const r = f["filterType"] === "LOT_SIZE" ? rules.lot : marketLike ? rules.marketLot : undefined
        if (r === undefined) break
        if ((D.isPositive(r.min) && D.lt(qty, r.min)) || (D.isPositive(r.max) && D.gt(qty, r.max)) || !D.isMultipleOf(D.sub(qty, r.min), r.step)) {
          filterFailure(String(f["filterType"]))
        }
        break
      }
      case "MIN_NOTIONAL":
      case "NOTIONAL": {
        const r = rules.notional
        // a stop that becomes a market order is valued at its trigger
        const p = type === "MARKET" ? market : marketLike ? stopPrice : price
        if (r === undefined || p === undefined) break
        const notional = D.mul(p, qty)
        if ((!marketLike || r.minToMarket) && D.lt(notional, r.min)) filterFailure(r.filter)
        if ((!marketLike || r.maxToMarket) && r.max !== undefined && D.isPositive(r.max) && D.gt(notional, r.max)) filterFailure(r.filter)
        break
      }
      case "MAX_NUM_ORDERS": {
        const max = rules.maxNumOrders
        if (type === "MARKET" || max === undefined) break
        if (counts.open + counts.adding > max) filterFailure("MAX_NUM_ORDERS")
        break
      }
      case "MAX_NUM_ALGO_ORDERS": {
        const max = rules.maxNumAlgoOrders
        if (!isStopType(type) || max === undefined) break
        if (counts.openStops + 1 > max) filterFailure("MAX_NUM_ALGO_ORDERS")
        break
      }
    }
  }
}
