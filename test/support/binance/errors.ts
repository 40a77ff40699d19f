/**
 * Binance's error answers for the test server: an HTTP status plus Binance's
 * `{ code, msg }` body, thrown by the engine and turned into the reply by the
 * server. The texts are Binance.US's (errors.md), so ccxt classifies them as it
 * would the real exchange's.
 */

/** A Binance API error: HTTP status plus Binance's `{ code, msg }` body. */
export class BinanceError extends Error {
  readonly status: number
  readonly code: number
  constructor(status: number, code: number, msg: string) {
    super(msg)
    this.status = status
    this.code = code
  }
}

export const fail = (code: number, msg: string, status = 400): never => {
  throw new BinanceError(status, code, msg)
}

export const mandatory = (name: string): never => fail(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`)
export const notRequired = (name: string): never => fail(-1106, `Parameter '${name}' sent when not required.`)
export const filterFailure = (filter: string): never => fail(-1013, `Filter failure: ${filter}`)
/** -2010 (NEW_ORDER_REJECTED) with one of the matching engine's messages. */
export const rejected = (msg: string): never => fail(-2010, msg)

export const INSUFFICIENT = "Account has insufficient balance for requested action."
export const DUPLICATE = "Duplicate order sent."
/** What the matching engine answers today; errors.md still lists the older "Order would trigger immediately." */
export const WOULD_TRIGGER = "Stop price would trigger immediately."
export const OCO_BAD_PRICES = "The relationship of the prices for the orders is not correct."
