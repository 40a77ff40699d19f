/**
 * Trades as both wire formats give them, read into orderops' exact `Trade`:
 * Binance's `GET /api/v3/myTrades` (decimal strings, read exactly) and ccxt's
 * unified `fetchMyTrades` (floats, read back through 15 significant digits). A
 * failure is `ExchangeError` reason `UnreadableAnswer`, as for orders. Paging is
 * `paging.ts`'s, the same for trades and orders.
 */
import { Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { Trade } from "../../services/Trade.ts"
import { cleanNumber } from "./decode.ts"
import { type DecodeContext, failure } from "./RawOrder.ts"

const IntLike = Schema.Union([Schema.Finite, Schema.String])

/** The fields of a Binance `myTrades` entry that orderops reads. */
const BinanceTrade = Schema.Struct({
  id: IntLike,
  orderId: IntLike,
  price: Schema.String,
  qty: Schema.String,
  quoteQty: Schema.String,
  commission: Schema.String,
  commissionAsset: Schema.String,
  time: IntLike,
  isBuyer: Schema.Boolean,
  isMaker: Schema.Boolean
})
const parseBinanceTrades = Schema.decodeUnknownResult(Schema.Array(BinanceTrade))

/** A Binance `myTrades` answer as trades; any amount that is not a plain decimal fails the answer. */
export const decodeBinanceTrades = (raw: unknown, ctx: DecodeContext): Result.Result<ReadonlyArray<Trade>, ExchangeError> => {
  const parsed = parseBinanceTrades(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "trade list", parsed.failure.message.replace(/\s+/g, " ")))
  const out: Array<Trade> = []
  for (const t of parsed.success) {
    const amounts = [t.price, t.qty, t.quoteQty, t.commission].map(D.parsePlain)
    const [price, quantity, quoteQuantity, fee] = amounts
    if (price === undefined || quantity === undefined || quoteQuantity === undefined || fee === undefined) {
      return Result.fail(failure(ctx, "trade", `trade ${t.id}: an amount is not a decimal`))
    }
    out.push({
      id: String(t.id),
      orderId: String(t.orderId),
      clientOrderId: "",
      side: t.isBuyer ? "buy" : "sell",
      price,
      quantity,
      quoteQuantity,
      fee,
      feeAsset: t.commissionAsset,
      maker: t.isMaker,
      timestamp: Number(t.time)
    })
  }
  return Result.succeed(out)
}

/** The fields of a ccxt `Trade` that orderops reads. */
const CcxtTrade = Schema.Struct({
  id: Schema.String,
  order: Schema.optional(Schema.NullishOr(Schema.String)),
  side: Schema.Literals(["buy", "sell"]),
  price: Schema.Finite,
  amount: Schema.Finite,
  cost: Schema.optional(Schema.NullishOr(Schema.Finite)),
  fee: Schema.optional(Schema.NullishOr(Schema.Struct({
    cost: Schema.optional(Schema.NullishOr(Schema.Finite)),
    currency: Schema.optional(Schema.NullishOr(Schema.String))
  }))),
  takerOrMaker: Schema.optional(Schema.NullishOr(Schema.String)),
  timestamp: Schema.Finite
})
const parseCcxtTrades = Schema.decodeUnknownResult(Schema.Array(CcxtTrade))

/** ccxt's unified trades as trades: floats read back exactly, the quote amount computed when ccxt has none. */
export const decodeCcxtTrades = (raw: unknown, ctx: DecodeContext): Result.Result<ReadonlyArray<Trade>, ExchangeError> => {
  const parsed = parseCcxtTrades(raw)
  if (Result.isFailure(parsed)) return Result.fail(failure(ctx, "trade list", parsed.failure.message.replace(/\s+/g, " ")))
  const out: Array<Trade> = []
  for (const t of parsed.success) {
    // The schema admits finite numbers only, so each reads back as a decimal.
    const exact = (n: number) => Option.getOrElse(cleanNumber(n), () => D.ZERO)
    const price = exact(t.price)
    const quantity = exact(t.amount)
    const cost = t.cost == null ? D.mul(price, quantity) : exact(t.cost)
    const fee = t.fee?.cost == null ? D.ZERO : exact(t.fee.cost)
    out.push({
      id: t.id,
      orderId: t.order ?? "",
      clientOrderId: "",
      side: t.side,
      price,
      quantity,
      quoteQuantity: cost,
      fee,
      feeAsset: t.fee?.currency ?? "",
      maker: t.takerOrMaker === "maker",
      timestamp: t.timestamp
    })
  }
  return Result.succeed(out)
}
