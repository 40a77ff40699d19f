/**
 * Exact decimal helpers for the Binance test server (effect's `BigDecimal`, never
 * floats). Binance sends and expects plain decimal strings; the server prints
 * them with at least 8 fraction digits ("0.10000000"), like Binance does.
 */
import { BigDecimal, Option } from "effect"

export type Dec = BigDecimal.BigDecimal

export const ZERO: Dec = BigDecimal.fromBigInt(0n)

/** Binance's legal range for decimal parameters: `^([0-9]{1,20})(\.[0-9]{1,20})?$`. */
const LEGAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/

/** A request parameter as Binance reads it: `undefined` when it is not a legal decimal. */
export const parseParam = (s: string): Dec | undefined => (LEGAL.test(s) ? dec(s) : undefined)

/** Digits after the point in a legal decimal string (for Binance's 8-digit precision check). */
export const fractionDigits = (s: string): number => {
  const i = s.indexOf(".")
  return i < 0 ? 0 : s.replace(/0+$/, "").length - i - 1
}

/** Parses a decimal known to be valid (fixtures, options); throws otherwise. */
export const dec = (s: string): Dec =>
  Option.getOrThrowWith(BigDecimal.fromString(s.trim()), () => new RangeError(`not a decimal: ${s}`)).pipe(
    BigDecimal.normalize
  )

export const add = (a: Dec, b: Dec): Dec => BigDecimal.normalize(BigDecimal.sum(a, b))
export const sub = (a: Dec, b: Dec): Dec => BigDecimal.normalize(BigDecimal.subtract(a, b))
export const mul = (a: Dec, b: Dec): Dec => BigDecimal.normalize(BigDecimal.multiply(a, b))
export const lt = (a: Dec, b: Dec): boolean => BigDecimal.isLessThan(a, b)
export const lte = (a: Dec, b: Dec): boolean => BigDecimal.isLessThanOrEqualTo(a, b)
export const gt = (a: Dec, b: Dec): boolean => BigDecimal.isGreaterThan(a, b)
export const gte = (a: Dec, b: Dec): boolean => BigDecimal.isGreaterThanOrEqualTo(a, b)
export const isZero = (a: Dec): boolean => BigDecimal.isZero(a)
export const isPositive = (a: Dec): boolean => BigDecimal.isPositive(a)

const common = (a: Dec, b: Dec): readonly [bigint, bigint] => {
  const scale = Math.max(a.scale, b.scale, 0)
  return [BigDecimal.scale(a, scale).value, BigDecimal.scale(b, scale).value]
}

/** `x` is a whole multiple of `step` (a zero step means "no step rule", as in Binance filters). */
export const isMultipleOf = (x: Dec, step: Dec): boolean => {
  if (isZero(step)) return true
  const [xv, sv] = common(x, step)
  return xv % sv === 0n
}

/** `floor(a / b)` for non-negative `a` and positive `b`. */
export const floorDiv = (a: Dec, b: Dec): bigint => {
  const [av, bv] = common(a, b)
  return av / bv
}

export const times = (n: bigint, d: Dec): Dec => mul(BigDecimal.fromBigInt(n), d)

/** Binance's wire format: plain digits, at least 8 fraction digits, more only when exactness needs them. */
export const fmt = (d: Dec): string => {
  const n = BigDecimal.normalize(d)
  const scale = Math.max(n.scale, 8)
  const v = BigDecimal.scale(n, scale).value
  const negative = v < 0n
  const digits = (negative ? -v : v).toString().padStart(scale + 1, "0")
  const out = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
  return negative ? `-${out}` : out
}
