/**
 * The events of Binance's user data stream, decoded at the boundary: each text
 * frame from `/ws/<listenKey>` is checked with Schema and turned into a shape of
 * orderops' own, every amount an exact `BigDecimal` read from Binance's decimal
 * string (never a float), ids as strings, sides and order types in orderops'
 * words. Binance's execution and order statuses keep Binance's names: they are
 * what the order-event mapping (issue #15) reads.
 *
 * A frame is one of: a user event; `listenKeyExpired` (the stream's own business,
 * see UserStream.ts); an event type this module does not know; or a malformed
 * frame. The last two are reported, never thrown: the stream skips them.
 * Frames wrapped as Binance's WebSocket API sends them (`{ subscriptionId, event }`)
 * are unwrapped, so the same decoder serves that transport.
 */
import { BigDecimal, Data, Option, Result, Schema, SchemaTransformation } from "effect"

// ---- wire schemas (Binance's single-letter keys) ---------------------------------------------

/** Binance's decimal strings: plain digits, an optional fraction, a sign only on deltas. */
const Decimal = Schema.String.check(Schema.isPattern(/^-?[0-9]+(\.[0-9]+)?$/)).pipe(
  Schema.decodeTo(Schema.BigDecimal, SchemaTransformation.bigDecimalFromString)
)
const Int = Schema.Int

const BINANCE_ORDER_TYPES = {
  LIMIT: "limit",
  MARKET: "market",
  STOP_LOSS: "stop-loss",
  STOP_LOSS_LIMIT: "stop-loss-limit",
  TAKE_PROFIT: "take-profit",
  TAKE_PROFIT_LIMIT: "take-profit-limit",
  LIMIT_MAKER: "limit-maker"
} as const
type BinanceOrderType = keyof typeof BINANCE_ORDER_TYPES

/** Binance's order types in orderops' words (the vocabulary of issue #14). */
export type StreamOrderType = (typeof BINANCE_ORDER_TYPES)[BinanceOrderType]

export const ExecutionType = Schema.Literals(["NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION"])
export type ExecutionType = typeof ExecutionType.Type

export const BinanceOrderStatus = Schema.Literals([
  "NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "PENDING_CANCEL", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"
])
export type BinanceOrderStatus = typeof BinanceOrderStatus.Type

/** Required: what an order's state and a trade need. Optional: what some versions of the payload omit. */
const ExecutionReportWire = Schema.Struct({
  E: Int,
  s: Schema.String,
  c: Schema.String,
  S: Schema.Literals(["BUY", "SELL"]),
  o: Schema.Literals(Object.keys(BINANCE_ORDER_TYPES) as Array<BinanceOrderType>),
  f: Schema.optional(Schema.String),
  q: Decimal,
  p: Decimal,
  P: Schema.optional(Decimal),
  g: Schema.optional(Int),
  C: Schema.optional(Schema.NullOr(Schema.String)),
  x: ExecutionType,
  X: BinanceOrderStatus,
  r: Schema.optional(Schema.String),
  i: Int,
  l: Decimal,
  z: Decimal,
  L: Decimal,
  n: Schema.NullOr(Decimal),
  N: Schema.NullOr(Schema.String),
  T: Int,
  t: Int,
  w: Schema.optional(Schema.Boolean),
  m: Schema.Boolean,
  O: Schema.optional(Int),
  Z: Decimal,
  Y: Schema.optional(Decimal),
  Q: Schema.optional(Decimal)
})

const AccountPositionWire = Schema.Struct({
  E: Int,
  u: Int,
  B: Schema.Array(Schema.Struct({ a: Schema.String, f: Decimal, l: Decimal }))
})

const BalanceUpdateWire = Schema.Struct({ E: Int, a: Schema.String, d: Decimal, T: Int })

const ListStatusWire = Schema.Struct({
  E: Int,
  s: Schema.String,
  g: Int,
  c: Schema.String,
  l: Schema.String,
  L: Schema.String,
  r: Schema.String,
  C: Schema.String,
  T: Int,
  O: Schema.Array(Schema.Struct({ s: Schema.String, i: Int, c: Schema.String }))
})

// ---- orderops' shapes ------------------------------------------------------------------------

/** One fill, as the `executionReport` of execution type TRADE reports it. */
export interface StreamTrade {
  readonly id: string
  readonly price: BigDecimal.BigDecimal
  readonly quantity: BigDecimal.BigDecimal
  /** price × quantity, as Binance computed it. */
  readonly quoteQuantity: BigDecimal.BigDecimal
  readonly fee: BigDecimal.BigDecimal
  /** Binance may leave it null when there is no commission. */
  readonly feeAsset: Option.Option<string>
  readonly maker: boolean
  readonly time: number
}

export interface StreamBalance {
  readonly asset: string
  readonly free: BigDecimal.BigDecimal
  readonly locked: BigDecimal.BigDecimal
}

/**
 * What the user stream publishes. `EventsDropped` and `Connected` are the stream's
 * own markers: `EventsDropped`, events after the one before it were dropped because
 * the consumer fell behind (see UserStream.ts), reconcile by REST when it arrives;
 * `Connected`, a (re)connection opened at `since` (epoch ms): the events after it
 * come from that connection, and what happened before it may have been missed.
 */
export type UserStreamEvent = Data.TaggedEnum<{
  ExecutionReport: {
    readonly eventTime: number
    /** Binance's symbol id, e.g. "HBARUSDT". */
    readonly symbol: string
    readonly orderId: string
    /** The order's own client id, also on a cancel (where Binance puts it in `C`). */
    readonly clientOrderId: string
    /** A cancel's: the cancel request's client id (Binance's `c` on a cancel). */
    readonly cancelClientOrderId: Option.Option<string>
    readonly side: "buy" | "sell"
    readonly type: StreamOrderType
    readonly timeInForce: Option.Option<string>
    readonly quantity: BigDecimal.BigDecimal
    /** None for a market order (Binance sends zero). */
    readonly price: Option.Option<BigDecimal.BigDecimal>
    readonly stopPrice: Option.Option<BigDecimal.BigDecimal>
    readonly orderListId: Option.Option<string>
    readonly execution: ExecutionType
    readonly status: BinanceOrderStatus
    readonly rejectReason: string
    /** Cumulative filled base quantity. */
    readonly filled: BigDecimal.BigDecimal
    /** Cumulative quote transacted (average price = cumulativeQuote / filled). */
    readonly cumulativeQuote: BigDecimal.BigDecimal
    readonly transactionTime: number
    readonly createdAt: Option.Option<number>
    readonly onBook: Option.Option<boolean>
    /** Some exactly when `execution` is TRADE. */
    readonly trade: Option.Option<StreamTrade>
  }
  AccountPosition: {
    readonly eventTime: number
    readonly updateTime: number
    /** Only the assets the change may have moved. */
    readonly balances: ReadonlyArray<StreamBalance>
  }
  BalanceUpdate: {
    readonly eventTime: number
    readonly asset: string
    /** Positive for a deposit, negative for a withdrawal. */
    readonly delta: BigDecimal.BigDecimal
    readonly clearTime: number
  }
  ListStatus: {
    readonly eventTime: number
    readonly symbol: string
    readonly orderListId: string
    readonly contingencyType: string
    readonly listStatusType: string
    readonly listOrderStatus: string
    readonly listRejectReason: string
    readonly listClientOrderId: string
    readonly transactionTime: number
    readonly orders: ReadonlyArray<{ readonly symbol: string; readonly orderId: string; readonly clientOrderId: string }>
  }
  EventsDropped: {}
  Connected: { readonly since: number }
}>
export const UserStreamEvent = Data.taggedEnum<UserStreamEvent>()

// ---- decoding --------------------------------------------------------------------------------

/** What one text frame is. */
export type Frame =
  | { readonly _tag: "Event"; readonly event: UserStreamEvent }
  | { readonly _tag: "ListenKeyExpired" }
  | { readonly _tag: "Unknown"; readonly eventType: string }
  | { readonly _tag: "Malformed"; readonly eventType: string; readonly message: string }

const ZERO = BigDecimal.fromBigInt(0n)

const positive = (d: BigDecimal.BigDecimal): Option.Option<BigDecimal.BigDecimal> => (d.value > 0n ? Option.some(d) : Option.none())

const executionReport = (w: typeof ExecutionReportWire.Type): UserStreamEvent => {
  const canceled = w.C !== undefined && w.C !== null && w.C !== ""
  const trade = w.x !== "TRADE" ? Option.none<StreamTrade>() : Option.some<StreamTrade>({
    id: String(w.t),
    price: w.L,
    quantity: w.l,
    quoteQuantity: w.Y ?? BigDecimal.multiply(w.L, w.l),
    fee: w.n ?? ZERO,
    feeAsset: Option.fromNullishOr(w.N),
    maker: w.m,
    time: w.T
  })
  return UserStreamEvent.ExecutionReport({
    eventTime: w.E,
    symbol: w.s,
    orderId: String(w.i),
    clientOrderId: canceled ? (w.C as string) : w.c,
    cancelClientOrderId: canceled ? Option.some(w.c) : Option.none(),
    side: w.S === "BUY" ? "buy" : "sell",
    type: BINANCE_ORDER_TYPES[w.o],
    timeInForce: Option.fromNullishOr(w.f),
    quantity: w.q,
    price: positive(w.p),
    stopPrice: w.P === undefined ? Option.none() : positive(w.P),
    orderListId: w.g === undefined || w.g === -1 ? Option.none() : Option.some(String(w.g)),
    execution: w.x,
    status: w.X,
    rejectReason: w.r ?? "NONE",
    filled: w.z,
    cumulativeQuote: w.Z,
    transactionTime: w.T,
    createdAt: Option.fromNullishOr(w.O),
    onBook: Option.fromNullishOr(w.w),
    trade
  })
}

type Decoder = (payload: unknown) => Result.Result<UserStreamEvent, Schema.SchemaError>

const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ["executionReport", (p) => Result.map(Schema.decodeUnknownResult(ExecutionReportWire)(p), executionReport)],
  ["outboundAccountPosition", (p) =>
    Result.map(Schema.decodeUnknownResult(AccountPositionWire)(p), (w) =>
      UserStreamEvent.AccountPosition({
        eventTime: w.E,
        updateTime: w.u,
        balances: w.B.map((b) => ({ asset: b.a, free: b.f, locked: b.l }))
      }))],
  ["balanceUpdate", (p) =>
    Result.map(Schema.decodeUnknownResult(BalanceUpdateWire)(p), (w) =>
      UserStreamEvent.BalanceUpdate({ eventTime: w.E, asset: w.a, delta: w.d, clearTime: w.T }))],
  ["listStatus", (p) =>
    Result.map(Schema.decodeUnknownResult(ListStatusWire)(p), (w) =>
      UserStreamEvent.ListStatus({
        eventTime: w.E,
        symbol: w.s,
        orderListId: String(w.g),
        contingencyType: w.c,
        listStatusType: w.l,
        listOrderStatus: w.L,
        listRejectReason: w.r,
        listClientOrderId: w.C,
        transactionTime: w.T,
        orders: w.O.map((o) => ({ symbol: o.s, orderId: String(o.i), clientOrderId: o.c }))
      }))]
])

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** One text frame of the user data stream. Never throws. */
export const decodeFrame = (text: string): Frame => {
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch {
    return { _tag: "Malformed", eventType: "", message: "not JSON" }
  }
  if (isObject(payload) && isObject(payload["event"]) && "subscriptionId" in payload) payload = payload["event"]
  if (!isObject(payload) || typeof payload["e"] !== "string") return { _tag: "Malformed", eventType: "", message: "no event type" }
  const eventType = payload["e"]
  if (eventType === "listenKeyExpired") return { _tag: "ListenKeyExpired" }
  const decoder = DECODERS.get(eventType)
  if (decoder === undefined) return { _tag: "Unknown", eventType }
  const decoded = decoder(payload)
  return Result.isSuccess(decoded)
    ? { _tag: "Event", event: decoded.success }
    : { _tag: "Malformed", eventType, message: decoded.failure.message }
}
