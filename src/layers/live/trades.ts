/**
 * Trades as both wire formats give them, read into orderops' exact `Trade`:
 * Binance's `GET /api/v3/myTrades` (decimal strings, read exactly) and ccxt's
 * unified `fetchMyTrades` (floats, read back through 15 significant digits). A
 * failure is `ExchangeError` reason `UnreadableAnswer`, as for orders.
 *
 * Paging lives here too, one rule per API: Binance takes at most 24 hours per
 * `startTime`/`endTime` window and at most 1000 trades per page, and pages onwards
 * by `fromId`; ccxt's unified method pages by `since`.
 */
import { Effect, Option, Result, Schema } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { Trade } from "../../services/Trade.ts"
import { cleanNumber } from "./decode.ts"
import { type DecodeContext, failure } from "./RawOrder.ts"

/** The most trades one page holds (Binance's and orderops' ccxt limit). */
export const PAGE = 1000
/** Binance's longest `startTime`–`endTime` window for myTrades. */
export const DAY_MS = 86_400_000

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

/** A request for one page of Binance trades. */
export type BinanceTradePage =
  | { readonly startTime: number; readonly endTime: number }
  | { readonly fromId: string }

/**
 * Every trade in `[since, until]` through Binance's paging. Trade ids grow with
 * time, so once one trade of the range is known the rest follow by `fromId`, a page
 * of 1000 at a time, until a trade lies past `until`. The first is found by the
 * account's oldest trade on the symbol (`fromId` 0) when the range starts before
 * it, else by 24-hour `startTime`/`endTime` windows (Binance's longest) from
 * `since` until one holds a trade.
 */
export const binanceTradesIn = <E>(
  page: (p: BinanceTradePage) => Effect.Effect<ReadonlyArray<Trade>, E>,
  since: number | undefined,
  until: number
): Effect.Effect<ReadonlyArray<Trade>, E> =>
  Effect.gen(function*() {
    const out: Array<Trade> = []
    const inRange = (t: Trade) => t.timestamp <= until && (since === undefined || t.timestamp >= since)
    /** `first` and the pages after it, by id, until past `until`. */
    const onwards = function*(first: ReadonlyArray<Trade>) {
      let current = first
      for (;;) {
        out.push(...current.filter(inRange))
        const last = current[current.length - 1]
        if (current.length < PAGE || last === undefined || last.timestamp > until) return
        current = yield* page({ fromId: String(BigInt(last.id) + 1n) })
      }
    }
    const oldest = yield* page({ fromId: "0" })
    if (since === undefined || oldest.length === 0 || oldest[0]!.timestamp >= since) {
      yield* onwards(oldest)
      return out
    }
    for (let start = since; start <= until; start += DAY_MS) {
      const first = yield* page({ startTime: start, endTime: Math.min(start + DAY_MS - 1, until) })
      if (first.length > 0) {
        yield* onwards(first)
        break
      }
    }
    return out
  })

/**
 * Every trade in `[since, until]` through ccxt's `fetchMyTrades(symbol, since, limit)`
 * (`since` 0 when not given):
 * while a page is full, the next starts at its last trade's time (trades sharing that
 * millisecond come again and are dropped by id by the caller).
 */
export const ccxtTradesIn = <E>(
  page: (since: number) => Effect.Effect<ReadonlyArray<Trade>, E>,
  since: number | undefined,
  until: number
): Effect.Effect<ReadonlyArray<Trade>, E> =>
  Effect.gen(function*() {
    const out: Array<Trade> = []
    // Without a start, from the beginning (0): without one ccxt asks for the most recent trades only.
    let from = since ?? 0
    for (;;) {
      const current = yield* page(from)
      out.push(...current.filter((t) => t.timestamp <= until && (since === undefined || t.timestamp >= since)))
      const last = current[current.length - 1]
      if (current.length < PAGE || last === undefined || last.timestamp > until) return out
      from = last.timestamp === from ? last.timestamp + 1 : last.timestamp
    }
  })
