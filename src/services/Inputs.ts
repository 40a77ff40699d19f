/**
 * Every input of the public `Exchange` operations, decoded at the boundary, the
 * same way whatever language the caller writes in: a JavaScript caller, a JSON
 * config or a value decoded by hand gets no further than a TypeScript one would.
 * Each input is a `Schema` beside the words saying what it accepts; a value it
 * refuses is a `ValidationError` naming the field, what was given (`describeAmount`:
 * short, never throwing) and what is accepted. Nothing is journaled or sent before
 * every input of an operation has decoded.
 *
 * The engine (`layers/engine/OrderEngine.ts`) decodes here for the dry run and the live
 * layer alike, so both refuse the same inputs. Order and list ids take the form the
 * venue issues (`VenueService.ids`): Binance's are numbers below 2^63.
 */
import { BigDecimal, Option, Result, Schema, SchemaGetter } from "effect"
import { contextFields, type ErrorContextFields } from "../errors/context.ts"
import { ValidationError } from "../errors/ValidationError.ts"
import * as D from "./Decimal.ts"
import type { OrderRequest } from "./MarketRules.ts"
import { OrderSide, OrderType } from "./OrderRecord.ts"

/** One input: its schema, its decoder (built once: a create decodes several), and what it accepts, in words, for the error. */
export interface Input<A> {
  readonly schema: Schema.Decoder<A>
  readonly decode: (value: unknown) => Result.Result<A, Schema.SchemaError>
  readonly accepted: string
}

const input = <A>(schema: Schema.Decoder<A>, accepted: string): Input<A> => ({
  schema,
  decode: Schema.decodeUnknownResult(schema),
  accepted
})

/** `value` decoded as `field`'s input, or the `ValidationError` naming the field, the value and what is accepted. */
export const decodeInput = <A>(ctx: ErrorContextFields, field: string, spec: Input<A>, value: unknown): Result.Result<A, ValidationError> =>
  Result.mapError(
    spec.decode(value),
    () =>
      new ValidationError({
        ...contextFields(ctx),
        rule: typeof value === "number" && !Number.isFinite(value) ? "NotFinite" : "InvalidArgument",
        field,
        value: D.describeAmount(value),
        accepted: spec.accepted
      })
  )

// ---- the inputs --------------------------------------------------------------

export const Side: Input<OrderSide> = input(OrderSide, `"buy" or "sell"`)

export const Type: Input<OrderType> = input(OrderType, OrderType.literals.map((t) => JSON.stringify(t)).join(", "))

/** Any value `D.fromAmount` reads: a finite number, decimal text or a `BigDecimal`, within the amount bounds. */
const AmountShape = Schema.declare((u): u is D.Amount => Option.isSome(D.fromAmount(u)))
const Exact = Schema.declare((u): u is D.Decimal => BigDecimal.isBigDecimal(u))

/** An amount within `Decimal`'s bounds, decoded to the exact decimal it names (sign and size are the market rules' to check). */
export const Amount: Input<D.Decimal> = input(
  AmountShape.pipe(Schema.decodeTo(Exact, {
    decode: SchemaGetter.transform((a: D.Amount) => Option.getOrElse(D.fromAmount(a), () => D.ZERO)),
    encode: SchemaGetter.transform((d: D.Decimal): D.Amount => d)
  })),
  D.AMOUNT_ACCEPTED
)

/** The largest epoch-ms time a JavaScript `Date` holds. */
export const MAX_TIME_MS = 8_640_000_000_000_000

export const Time: Input<number> = input(
  Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: MAX_TIME_MS }))),
  `a whole number of epoch milliseconds from 0 to ${MAX_TIME_MS} (the largest Date)`
)

/** An asset code: `HBAR`, `USDT`, `1INCH`, `BTC.B`. */
export const Asset: Input<string> = input(
  Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/))),
  "an asset code of 1 to 32 letters, digits, '.', '_' or '-'"
)

/** A unified market symbol: `BASE/QUOTE`, with an optional `:SETTLE`. */
export const MarketSymbol: Input<string> = input(
  Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}\/[A-Za-z0-9][A-Za-z0-9._-]{0,31}(?::[A-Za-z0-9._-]{1,32})?$/))),
  "a market symbol BASE/QUOTE (each 1 to 32 letters, digits, '.', '_' or '-'), e.g. HBAR/USDT"
)

/** The largest order id a signed 64-bit id holds. */
const MAX_INT64 = 2n ** 63n - 1n

/** Ids a venue issues as positive 64-bit integers, written in decimal (Binance's order and list ids). */
export const NumericId: Input<string> = input(
  Schema.String.pipe(Schema.check(Schema.makeFilter((s: string) => /^[1-9][0-9]{0,18}$/.test(s) && BigInt(s) <= MAX_INT64))),
  `a positive whole number below 2^63, in decimal digits (e.g. "123456")`
)

/** Ids of a venue that issues text ids (UUIDs, hex, numbers): 1 to 64 letters, digits, '.', '_', ':' or '-'. */
export const TextId: Input<string> = input(
  Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/))),
  "an id of 1 to 64 letters, digits, '.', '_', ':' or '-'"
)

/** Ids of one fixed form, e.g. the dry run's own `dry_run_<n>`. */
export const patternId = (pattern: RegExp, accepted: string): Input<string> =>
  input(Schema.String.pipe(Schema.check(Schema.isPattern(pattern))), accepted)

/** `first`, or else `second`: e.g. the dry run's own ids beside the numeric ids of the exchange it stands in for. */
export const eitherId = (first: Input<string>, second: Input<string>): Input<string> =>
  input(Schema.Union([first.schema, second.schema]), `${first.accepted}, or ${second.accepted}`)

/** The forms of the ids a venue issues, for its order and its list (OCO) ids. */
export interface IdForms {
  readonly order: Input<string>
  readonly list: Input<string>
}

// ---- composite inputs ----------------------------------------------------------
// Plain loops, not `Result.gen`: a create decodes its request on the hot path, and a
// generator costs several times the decoding itself.

/** A request object's fields, in the order they are checked: each an input, required or optional (absent or `undefined`). */
type Fields = Readonly<Record<string, readonly [Input<unknown>, "required" | "optional"]>>
type Decoded<F extends Fields> = {
  readonly [K in keyof F]: F[K] extends readonly [Input<infer A>, infer P] ? (P extends "required" ? A : A | undefined) : never
}
const required = <A>(spec: Input<A>) => [spec, "required"] as const
const optional = <A>(spec: Input<A>) => [spec, "optional"] as const

/** `value` as a request object with `fields`; the first field refused is the error, and a value that is no object is refused as `request`. */
const decodeFields = <F extends Fields>(ctx: ErrorContextFields, fields: F, value: unknown): Result.Result<Decoded<F>, ValidationError> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Result.fail(
      new ValidationError({ ...contextFields(ctx), rule: "InvalidArgument", field: "request", value: D.describeAmount(value), accepted: "an object" })
    )
  }
  const given = value as Readonly<Record<string, unknown>>
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(fields)) {
    const [spec, presence] = fields[key]!
    const field = given[key]
    if (field === undefined && presence === "optional") {
      out[key] = undefined
      continue
    }
    const decoded = decodeInput(ctx, key, spec, field)
    if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
    out[key] = decoded.success
  }
  return Result.succeed(out as Decoded<F>)
}

const ORDER_REQUEST = {
  side: required(Side),
  type: required(Type),
  quantity: required(Amount),
  price: optional(Amount),
  triggerPrice: optional(Amount)
}

/**
 * An order request (`placeOrder`'s and the shorthands'): an object with a side, a
 * type and a quantity, and the prices its type needs. Amounts come out exact.
 */
export const decodeOrderRequest = (ctx: ErrorContextFields, value: unknown): Result.Result<OrderRequest, ValidationError> =>
  decodeFields(ctx, ORDER_REQUEST, value)

const OCO_REQUEST = {
  side: required(Side),
  quantity: required(Amount),
  price: required(Amount),
  triggerPrice: required(Amount),
  stopLimitPrice: optional(Amount)
}

/** An OCO request: an object with a side, a quantity, a price, a trigger price and an optional stop-limit price. */
export const decodeOcoRequest = (ctx: ErrorContextFields, value: unknown) => decodeFields(ctx, OCO_REQUEST, value)

/** An optional input: absent or `undefined` is none. */
const decodeOptional = <A>(ctx: ErrorContextFields, field: string, spec: Input<A>, value: unknown): Result.Result<A | undefined, ValidationError> =>
  value === undefined ? Result.succeed(undefined) : decodeInput(ctx, field, spec, value)

/** A time window `[startTime, endTime]`: each bound optional, and the start not after the end. */
export const decodeWindow = (
  ctx: ErrorContextFields,
  startTime: unknown,
  endTime: unknown
): Result.Result<readonly [number | undefined, number | undefined], ValidationError> => {
  const start = decodeOptional(ctx, "startTime", Time, startTime)
  if (Result.isFailure(start)) return Result.fail(start.failure)
  const end = decodeOptional(ctx, "endTime", Time, endTime)
  if (Result.isFailure(end)) return Result.fail(end.failure)
  if (start.success !== undefined && end.success !== undefined && start.success > end.success) {
    return Result.fail(
      new ValidationError({
        ...contextFields(ctx),
        rule: "InvalidArgument",
        field: "endTime",
        value: String(end.success),
        limit: String(start.success),
        accepted: "a time not before startTime"
      })
    )
  }
  return Result.succeed([start.success, end.success] as const)
}

/** An optional asset code (`getBaseAssetBalance`). */
export const decodeAsset = (ctx: ErrorContextFields, value: unknown) => decodeOptional(ctx, "baseAsset", Asset, value)

/** The market a layer trades (its `symbol` option): `HBAR/USDT` when absent. */
export const decodeMarketSymbol = (operation: string, value: unknown): Result.Result<string, ValidationError> =>
  value === undefined
    ? Result.succeed(DEFAULT_SYMBOL)
    : decodeInput({ operation, symbol: typeof value === "string" && value.length <= 64 ? value : "(invalid)" }, "symbol", MarketSymbol, value)

/** A layer option that counts (`cancelConcurrency`, `events.subscriberBuffer`): `fallback` when absent. */
export const decodeCount = (ctx: ErrorContextFields, field: string, value: unknown, fallback: number): Result.Result<number, ValidationError> =>
  value === undefined ? Result.succeed(fallback) : decodeInput(ctx, field, Count, value)

const Count: Input<number> = input(
  Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
  "a whole number from 1 to 1,000,000"
)

/** The market a layer trades without a `symbol` option. */
export const DEFAULT_SYMBOL = "HBAR/USDT"
