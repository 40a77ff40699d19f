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
import { BigDecimal, Data, Option, Result, Schema } from "effect"
import * as W from "./WireFields.ts"

// ---- wire structs (Binance's single-letter keys) ---------------------------------------------

/**
 * Binance's decimal strings: plain digits, an optional fraction, a sign only on deltas.
 * Checked with the frame, read into exact `BigDecimal`s by `decimal` below once the whole
 * frame is valid (a schema transformation costs an Effect per amount: issue #21's decode
 * figure).
 */
const Decimal = W.decimalText

/**
 * A `Decimal` the check passed, as its exact value: the digits without the point, the
 * fraction's trailing zeros left off (Binance pads to 8 places), so the value is
 * normalized as the REST decoders' (`Decimal.parsePlain`) and its integer short.
 */
const decimal = (s: string): BigDecimal.BigDecimal => {
  const dot = s.indexOf(".")
  if (dot === -1) return BigDecimal.make(integer(s), 0)
  let end = s.length
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end-- // "0"
  return end === dot + 1
    ? BigDecimal.make(integer(s.slice(0, dot)), 0)
    : BigDecimal.make(integer(s.slice(0, dot) + s.slice(dot + 1, end)), end - dot - 1)
}

/** Checked digits (and sign) as a bigint: through a double while that is exact (15 digits), a few times faster than `BigInt(string)`. */
const integer = (digits: string): bigint => (digits.length <= 15 ? BigInt(Number(digits)) : BigInt(digits))
const decimalOrUndefined = (s: string | undefined): BigDecimal.BigDecimal | undefined => (s === undefined ? undefined : decimal(s))

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

const EXECUTION_TYPES = ["NEW", "CANCELED", "REPLACED", "REJECTED", "TRADE", "EXPIRED", "TRADE_PREVENTION"] as const
export const ExecutionType = Schema.Literals(EXECUTION_TYPES)
export type ExecutionType = typeof ExecutionType.Type

const ORDER_STATUSES = [
  "NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "PENDING_CANCEL", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"
] as const
export const BinanceOrderStatus = Schema.Literals(ORDER_STATUSES)
export type BinanceOrderStatus = typeof BinanceOrderStatus.Type

/** Required: what an order's state and a trade need. Optional: what some versions of the payload omit. */
const ExecutionReportWire = W.wireStruct({
  E: W.int,
  s: W.string,
  c: W.string,
  S: W.literals(["BUY", "SELL"]),
  o: W.literals(Object.keys(BINANCE_ORDER_TYPES) as Array<BinanceOrderType>),
  f: W.optional(W.string),
  q: Decimal,
  p: Decimal,
  P: W.optional(Decimal),
  g: W.optional(W.int),
  C: W.optional(W.nullOr(W.string)),
  x: W.literals(EXECUTION_TYPES),
  X: W.literals(ORDER_STATUSES),
  r: W.optional(W.string),
  i: W.int,
  l: Decimal,
  z: Decimal,
  L: Decimal,
  n: W.nullOr(Decimal),
  N: W.nullOr(W.string),
  T: W.int,
  t: W.int,
  w: W.optional(W.boolean),
  m: W.boolean,
  O: W.optional(W.int),
  Z: Decimal,
  Y: W.optional(Decimal),
  Q: W.optional(Decimal)
})

const AccountPositionWire = W.wireStruct({
  E: W.int,
  u: W.int,
  B: W.arrayOf(W.wireStruct({ a: W.string, f: Decimal, l: Decimal }))
})

const BalanceUpdateWire = W.wireStruct({ E: W.int, a: W.string, d: Decimal, T: W.int })

const ListStatusWire = W.wireStruct({
  E: W.int,
  s: W.string,
  g: W.int,
  c: W.string,
  l: W.string,
  L: W.string,
  r: W.string,
  C: W.string,
  T: W.int,
  O: W.arrayOf(W.wireStruct({ s: W.string, i: W.int, c: W.string }))
})

/** The wire structs, for the test that each quick check accepts exactly what its schema accepts. */
export const WIRE_STRUCTS = {
  executionReport: ExecutionReportWire,
  outboundAccountPosition: AccountPositionWire,
  balanceUpdate: BalanceUpdateWire,
  listStatus: ListStatusWire
} as const

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

/** The constructors, looked up once (each lookup on the tagged enum makes a new one). */
const ExecutionReportEvent = UserStreamEvent.ExecutionReport
const AccountPositionEvent = UserStreamEvent.AccountPosition

const executionReport = (w: typeof ExecutionReportWire.schema.Type): UserStreamEvent => {
  const canceled = w.C !== undefined && w.C !== null && w.C !== ""
  const trade = w.x !== "TRADE" ? Option.none<StreamTrade>() : Option.some<StreamTrade>({
    id: String(w.t),
    price: decimal(w.L),
    quantity: decimal(w.l),
    quoteQuantity: decimalOrUndefined(w.Y) ?? BigDecimal.multiply(decimal(w.L), decimal(w.l)),
    fee: w.n === null ? ZERO : decimal(w.n),
    feeAsset: Option.fromNullishOr(w.N),
    maker: w.m,
    time: w.T
  })
  return ExecutionReportEvent({
    eventTime: w.E,
    symbol: w.s,
    orderId: String(w.i),
    clientOrderId: canceled ? (w.C as string) : w.c,
    cancelClientOrderId: canceled ? Option.some(w.c) : Option.none(),
    side: w.S === "BUY" ? "buy" : "sell",
    type: BINANCE_ORDER_TYPES[w.o],
    timeInForce: Option.fromNullishOr(w.f),
    quantity: decimal(w.q),
    price: positive(decimal(w.p)),
    stopPrice: w.P === undefined ? Option.none() : positive(decimal(w.P)),
    orderListId: w.g === undefined || w.g === -1 ? Option.none() : Option.some(String(w.g)),
    execution: w.x,
    status: w.X,
    rejectReason: w.r ?? "NONE",
    filled: decimal(w.z),
    cumulativeQuote: decimal(w.Z),
    transactionTime: w.T,
    createdAt: Option.fromNullishOr(w.O),
    onBook: Option.fromNullishOr(w.w),
    trade
  })
}

type Decoder = (payload: unknown) => Result.Result<UserStreamEvent, Schema.SchemaError>

/** The wire struct's value: the quick check's when it passes, else the schema's verdict (which says why it fails). */
const wireDecoder = <A>(struct: { readonly schema: Schema.Codec<A, unknown>; readonly check: (u: unknown) => u is A }) => {
  const decode = Schema.decodeUnknownResult(struct.schema)
  return (payload: unknown): Result.Result<A, Schema.SchemaError> => (struct.check(payload) ? Result.succeed(payload) : decode(payload))
}
const decodeExecutionReport = wireDecoder(ExecutionReportWire)
const decodeAccountPosition = wireDecoder(AccountPositionWire)
const decodeBalanceUpdate = wireDecoder(BalanceUpdateWire)
const decodeListStatus = wireDecoder(ListStatusWire)

const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ["executionReport", (p) => Result.map(decodeExecutionReport(p), executionReport)],
  ["outboundAccountPosition", (p) =>
    Result.map(decodeAccountPosition(p), (w) =>
      AccountPositionEvent({
        eventTime: w.E,
        updateTime: w.u,
        balances: w.B.map((b) => ({ asset: b.a, free: decimal(b.f), locked: decimal(b.l) }))
      }))],
  ["balanceUpdate", (p) =>
    Result.map(decodeBalanceUpdate(p), (w) =>
      UserStreamEvent.BalanceUpdate({ eventTime: w.E, asset: w.a, delta: decimal(w.d), clearTime: w.T }))],
  ["listStatus", (p) =>
    Result.map(decodeListStatus(p), (w) =>
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
