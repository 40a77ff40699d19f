/**
 * OCO order lists of the Binance test server, as Binance.US documents
 * `POST /api/v3/order/oco`: a LIMIT_MAKER leg at `price` and a STOP_LOSS leg at
 * `stopPrice` (STOP_LOSS_LIMIT when `stopLimitPrice` is sent), the same quantity,
 * listed stop leg first. Either leg filling (even in part) or the stop triggering
 * expires the other one and ends the list (ALL_DONE); cancelling either cancels both.
 */
import type { Dec } from "./decimal.ts"
import { fail, mandatory, notRequired, rejected } from "./errors.ts"
import type { SymbolRules } from "./markets.ts"
import { clientIdParam, decimalParam, type Order, type OrderInput, type Params, respTypeParam, sideParam } from "./orders.ts"
import { checkOcoPrices } from "./triggers.ts"

export interface OrderList {
  readonly orderListId: number
  readonly listClientOrderId: string
  readonly rules: SymbolRules
  /** The stop leg, then the limit leg (Binance's order in its answers). */
  readonly legs: readonly [Order, Order]
  listStatusType: "EXEC_STARTED" | "ALL_DONE"
  listOrderStatus: "EXECUTING" | "ALL_DONE"
  transactionTime: number
}

export interface OcoInput {
  readonly listClientOrderId: string
  readonly stop: OrderInput
  readonly limit: OrderInput
}

export const isExecuting = (list: OrderList): boolean => list.listOrderStatus === "EXECUTING"

/** POST /api/v3/order/oco's parameters (Binance.US's set) and its price rules against the last price. */
export const readOcoParams = (params: Params, rules: SymbolRules, last: Dec | undefined): OcoInput => {
  if (rules.info["ocoAllowed"] !== true) rejected("OCO orders are not supported for this symbol")
  const side = sideParam(params)
  const quantity = decimalParam(params, "quantity") ?? mandatory("quantity")
  const price = decimalParam(params, "price") ?? mandatory("price")
  const stopPrice = decimalParam(params, "stopPrice") ?? mandatory("stopPrice")
  const stopLimitPrice = decimalParam(params, "stopLimitPrice")
  const stopTif = params["stopLimitTimeInForce"]
  if (stopLimitPrice !== undefined && stopTif === undefined) mandatory("stopLimitTimeInForce")
  if (stopLimitPrice === undefined && stopTif !== undefined) notRequired("stopLimitTimeInForce")
  if (stopTif !== undefined && !["GTC", "IOC", "FOK"].includes(stopTif)) fail(-1115, "Invalid timeInForce.")
  for (const unsupported of ["trailingDelta", "limitIcebergQty", "stopIcebergQty"]) {
    if (params[unsupported] !== undefined) fail(-1020, "This operation is not supported.") // not modelled
  }
  const listClientOrderId = clientIdParam(params, "listClientOrderId")
  const limitClientOrderId = clientIdParam(params, "limitClientOrderId")
  const stopClientOrderId = clientIdParam(params, "stopClientOrderId")
  respTypeParam(params)
  checkOcoPrices(side, price, stopPrice, last)
  const leg = { rules, side, quantity, quoteOrderQty: undefined }
  return {
    listClientOrderId,
    stop: stopLimitPrice === undefined
      ? { ...leg, type: "STOP_LOSS", clientOrderId: stopClientOrderId, price: undefined, stopPrice, timeInForce: undefined }
      : { ...leg, type: "STOP_LOSS_LIMIT", clientOrderId: stopClientOrderId, price: stopLimitPrice, stopPrice, timeInForce: stopTif },
    limit: { ...leg, type: "LIMIT_MAKER", clientOrderId: limitClientOrderId, price, stopPrice: undefined, timeInForce: undefined }
  }
}

/** The list `order` is a leg of, if any. */
export const otherLeg = (list: OrderList, order: Order): Order => (list.legs[0] === order ? list.legs[1] : list.legs[0])
