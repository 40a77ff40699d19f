/**
 * Exact decimal money. Every price, quantity, balance and fee inside orderops is a
 * `BigDecimal`; numbers from the public API are converted once, through their
 * shortest round-trip string (so `0.1` is exactly 0.1), and amounts leave for the
 * exchange as plain decimal strings without exponent or float noise.
 */
import { BigDecimal, Option } from "effect"

export type Decimal = BigDecimal.BigDecimal

export const ZERO: Decimal = BigDecimal.fromBigInt(0n)

/**
 * The decimal a number's shortest form `s` (`String(n)`) names, read directly when
 * it has no exponent: its digits without the point, scaled by the digits after it.
 */
const fromPlain = (s: string): Decimal => {
  const dot = s.indexOf(".")
  return dot < 0 ? BigDecimal.make(BigInt(s), 0) : BigDecimal.make(BigInt(s.slice(0, dot) + s.slice(dot + 1)), s.length - dot - 1)
}

/** A finite number as the decimal its shortest representation names; `None` for NaN and ±Infinity. */
export const fromNumber = (n: number): Option.Option<Decimal> => {
  if (Number.isSafeInteger(n)) return Option.some(n === 0 ? ZERO : BigDecimal.make(BigInt(n), 0))
  if (!Number.isFinite(n)) return Option.none()
  const s = String(n)
  return s.includes("e") ? BigDecimal.fromNumber(n) : Option.some(fromPlain(s))
}

/**
 * A number read back through at most 15 significant digits, as a decimal: float
 * noise such as `0.30000000000000004` becomes `0.3`. A number whose shortest form
 * already has 15 digits or fewer is that form. `None` for NaN and ±Infinity.
 */
export const fromNumber15 = (n: number): Option.Option<Decimal> => {
  if (Number.isSafeInteger(n)) return fromNumber(n)
  if (!Number.isFinite(n)) return Option.none()
  const s = String(n)
  if (!s.includes("e")) {
    // Significant digits: all digits but the sign, the point and leading zeros.
    let first = s.charCodeAt(0) === 45 ? 1 : 0
    while (first < s.length && (s.charCodeAt(first) === 48 || s.charCodeAt(first) === 46)) first++
    const digits = s.length - first - (s.indexOf(".", first) >= 0 ? 1 : 0)
    if (digits <= 15) return Option.some(fromPlain(s))
  }
  return fromNumber(Number(n.toPrecision(15)))
}

/**
 * A non-negative plain decimal as exchanges write amounts (`"0.05000000"`, `"100"`),
 * without trailing zeros after the point; `undefined` for anything else (a sign,
 * an exponent, spaces, an empty part).
 */
export const parsePlain = (s: string): Decimal | undefined => {
  const dot = s.indexOf(".")
  const end = dot < 0 ? s.length : dot
  if (end === 0 || (dot >= 0 && dot === s.length - 1)) return undefined
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 48 || c > 57) && i !== dot) return undefined
  }
  let last = s.length
  if (dot >= 0) {
    while (s.charCodeAt(last - 1) === 48) last--
    if (last === dot + 1) last = dot
  }
  return fromPlain(last === s.length ? s : s.slice(0, last))
}

/** An amount as callers give it: a number, a decimal string, or an exact `BigDecimal`. */
export type Amount = number | string | BigDecimal.BigDecimal

/** Decimal text as a person writes it: digits with an optional point, sign and short exponent. */
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?$/

/**
 * The bounds of an amount a caller gives: at most this many significant digits, this
 * many digits after the point, and this many before it. Far beyond any price or
 * quantity an exchange takes, and small enough that snapping and comparing stay cheap
 * (an unchecked `BigDecimal` of scale 1e9 would make `10n ** scale` run for seconds).
 */
export const AMOUNT_MAX_DIGITS = 40
/** The longest decimal text read as an amount. */
export const AMOUNT_MAX_TEXT = 100
/** Beyond these, a `BigDecimal`'s scale or digits are refused before it is even normalised. */
const RAW_MAX_SCALE = 1000
const RAW_MAX_HEX_DIGITS = 900

/** What an amount may be, in words, for errors. */
export const AMOUNT_ACCEPTED =
  `a finite number, a decimal string (at most ${AMOUNT_MAX_TEXT} characters) or a BigDecimal, ` +
  `with at most ${AMOUNT_MAX_DIGITS} significant digits, ${AMOUNT_MAX_DIGITS} after the point and ${AMOUNT_MAX_DIGITS} before it`

/** Whether a normalised decimal lies within the amount bounds. */
const withinBounds = (d: Decimal): boolean => {
  if (d.value === 0n) return true
  const digits = (d.value < 0n ? -d.value : d.value).toString().length
  return digits <= AMOUNT_MAX_DIGITS && d.scale <= AMOUNT_MAX_DIGITS && digits - d.scale <= AMOUNT_MAX_DIGITS
}

/** A `BigDecimal` as given, normalised, when its raw size lets it be normalised cheaply and it lies within the bounds. */
const boundedDecimal = (b: BigDecimal.BigDecimal): Option.Option<Decimal> => {
  if (!Number.isSafeInteger(b.scale) || Math.abs(b.scale) > RAW_MAX_SCALE) return Option.none()
  if ((b.value < 0n ? -b.value : b.value).toString(16).length > RAW_MAX_HEX_DIGITS) return Option.none()
  const d = BigDecimal.normalize(b)
  return withinBounds(d) ? Option.some(d) : Option.none()
}

/**
 * An amount as a decimal: a number read at 15 significant digits (so float noise
 * such as `0.1 + 0.2 = 0.30000000000000004` is 0.3), a string as the decimal it
 * spells (`"0.3"`, `"1e-8"`; surrounding spaces ignored), a `BigDecimal` as it is.
 * `None` for NaN, ±Infinity, anything that is not a decimal, and a decimal beyond
 * the amount bounds (`AMOUNT_ACCEPTED`).
 */
export const fromAmount = (a: unknown): Option.Option<Decimal> => {
  if (typeof a === "number") return Option.filter(fromNumber15(a), withinBounds)
  if (typeof a === "string") {
    return a.length <= AMOUNT_MAX_TEXT && DECIMAL_TEXT.test(a.trim()) ? Option.filter(parse(a), withinBounds) : Option.none()
  }
  return BigDecimal.isBigDecimal(a) ? boundedDecimal(a) : Option.none()
}

/**
 * Any value as a caller gave it, for messages, never throwing and never long:
 * numbers as JavaScript prints them, strings quoted (cut at 64 characters, with their
 * length), decimals as text when within bounds, other values by their kind.
 */
export const describeAmount = (a: unknown): string => {
  if (typeof a === "string") return a.length <= 64 ? JSON.stringify(a) : `${JSON.stringify(a.slice(0, 64))}… (${a.length} characters)`
  if (typeof a === "number" || typeof a === "boolean" || a === undefined || a === null) return String(a)
  if (typeof a === "bigint") return `${a.toString().length > 64 ? "a bigint of over 64 digits" : a}n`
  if (BigDecimal.isBigDecimal(a)) {
    return Option.match(boundedDecimal(a), {
      onSome: format,
      onNone: () => Number.isSafeInteger(a.scale) && typeof a.value === "bigint"
        ? `a BigDecimal of scale ${a.scale} with ${a.value.toString(16).length > RAW_MAX_HEX_DIGITS ? "over 1000" : (a.value < 0n ? -a.value : a.value).toString().length} digits`
        : "a malformed BigDecimal"
    })
  }
  if (typeof a === "object") return Array.isArray(a) ? "an array" : Object.getPrototypeOf(a) === null ? "an object without prototype" : "an object"
  return `a ${typeof a}`
}

/** Parses `"0.10000000"`, `"1e-8"`, `"42"`. */
export const parse = (s: string): Option.Option<Decimal> => BigDecimal.fromString(s.trim()).pipe(Option.map(BigDecimal.normalize))

/** Like {@link parse}, for values already known to be decimal strings (fixtures, constants). */
export const unsafe = (s: string | number): Decimal =>
  Option.getOrThrowWith(
    typeof s === "number" ? fromNumber(s) : parse(s),
    () => new RangeError(`not a decimal: ${String(s)}`)
  )

/** The plain decimal string, never in exponent form, without trailing zeros: `0.00001`, `100`, `-2.5`. */
export const format = (d: Decimal): string => {
  if (d.value === 0n) return "0"
  const negative = d.value < 0n
  let digits = (negative ? -d.value : d.value).toString()
  let scale = d.scale
  let end = digits.length
  // Trailing zeros after the point go (the value is not zero, so a digit other than 0 stays).
  while (scale > 0 && digits.charCodeAt(end - 1) === 48) {
    end--
    scale--
  }
  if (end !== digits.length) digits = digits.slice(0, end)
  let out: string
  if (scale <= 0) {
    out = digits + "0".repeat(-scale)
  } else {
    const padded = digits.padStart(scale + 1, "0")
    out = `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`
  }
  return negative ? `-${out}` : out
}

/**
 * The decimal text of a number that holds an exact decimal (an amount orderops
 * produced): its shortest representation, which is exact, rewritten without an
 * exponent when JavaScript would use one (below 1e-6, from 1e21).
 */
export const formatNumber = (n: number): string => {
  const s = String(n)
  return s.includes("e") ? format(unsafe(n)) : s
}

/** Powers of ten by exponent, for rescaling without recomputing `10n ** k`. */
const POW10: ReadonlyArray<bigint> = Array.from({ length: 64 }, (_, k) => 10n ** BigInt(k))
const pow10 = (k: number): bigint => POW10[k] ?? 10n ** BigInt(k)

/**
 * The nearest number. Exact for every value with at most 15 significant digits. A
 * value whose digits and power of ten are both exact doubles is one correctly
 * rounded division (or product) away; anything else goes through its decimal text.
 */
export const toNumber = (d: Decimal): number => {
  const v = d.value
  if (v >= -9007199254740991n && v <= 9007199254740991n) {
    if (d.scale >= 0 && d.scale <= 22) return Number(v) / Number(pow10(d.scale))
    if (d.scale < 0 && d.scale >= -22) return Number(v) * Number(pow10(-d.scale))
  }
  return Number(format(d))
}

/** `d`'s unscaled value at `scale` (`scale >= d.scale`). */
const valueAt = (d: Decimal, scale: number): bigint => (scale === d.scale ? d.value : d.value * pow10(scale - d.scale))

/** The largest multiple of `step` not above `x` (for `x >= 0`). `step` must be positive. */
export const floorTo = (x: Decimal, step: Decimal): Decimal => {
  const scale = Math.max(x.scale, step.scale, 0)
  const xv = valueAt(x, scale)
  const sv = valueAt(step, scale)
  const q = xv / sv
  const floored = xv < 0n && q * sv !== xv ? q - 1n : q
  return BigDecimal.make(floored * sv, scale)
}

/** The smallest multiple of `step` not below `x`. `step` must be positive. */
export const ceilTo = (x: Decimal, step: Decimal): Decimal => {
  const scale = Math.max(x.scale, step.scale, 0)
  const xv = valueAt(x, scale)
  const sv = valueAt(step, scale)
  const q = xv / sv
  const ceiled = xv > 0n && q * sv !== xv ? q + 1n : q
  return BigDecimal.make(ceiled * sv, scale)
}

/** Whether `x` is a whole multiple of `step` (on the tick or step grid). `step` must be positive. */
export const isMultipleOf = (x: Decimal, step: Decimal): boolean => {
  const scale = Math.max(x.scale, step.scale, 0)
  return valueAt(x, scale) % valueAt(step, scale) === 0n
}

// Results keep the operands' scale rather than being normalised: exact all the
// same, cheaper, and `format` normalises for display.
export const add = (a: Decimal, b: Decimal): Decimal => BigDecimal.sum(a, b)
export const sub = (a: Decimal, b: Decimal): Decimal => BigDecimal.subtract(a, b)
export const mul = (a: Decimal, b: Decimal): Decimal => BigDecimal.multiply(a, b)
/** -1, 0 or 1 as `a` is below, equal to or above `b` (any scales). */
export const compare = (a: Decimal, b: Decimal): -1 | 0 | 1 => {
  // Far-apart scales (only from odd input like "1e-400") take Effect's digit-count comparison.
  if (Math.abs(a.scale - b.scale) > 64) return BigDecimal.Order(a, b)
  let av = a.value
  let bv = b.value
  if (a.scale > b.scale) bv *= pow10(a.scale - b.scale)
  else if (a.scale < b.scale) av *= pow10(b.scale - a.scale)
  return av < bv ? -1 : av > bv ? 1 : 0
}
export const lt = (a: Decimal, b: Decimal): boolean => compare(a, b) < 0
export const lte = (a: Decimal, b: Decimal): boolean => compare(a, b) <= 0
export const gt = (a: Decimal, b: Decimal): boolean => compare(a, b) > 0
export const gte = (a: Decimal, b: Decimal): boolean => compare(a, b) >= 0
export const eq = (a: Decimal, b: Decimal): boolean => compare(a, b) === 0
export const isPositive = (a: Decimal): boolean => BigDecimal.isPositive(a)
export const isZero = (a: Decimal): boolean => BigDecimal.isZero(a)
export const min = (a: Decimal, b: Decimal): Decimal => (lte(a, b) ? a : b)
export const max = (a: Decimal, b: Decimal): Decimal => (gte(a, b) ? a : b)
