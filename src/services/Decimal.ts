/**
 * Exact decimal money. Every price, quantity, balance and fee inside orderops is a
 * `BigDecimal`; numbers from the public API are converted once, through their
 * shortest round-trip string (so `0.1` is exactly 0.1), and amounts leave for the
 * exchange as plain decimal strings without exponent or float noise.
 */
import { BigDecimal, Option } from "effect"

export type Decimal = BigDecimal.BigDecimal

export const ZERO: Decimal = BigDecimal.fromBigInt(0n)

/** A finite number as the decimal its shortest representation names; `None` for NaN and ±Infinity. */
export const fromNumber = (n: number): Option.Option<Decimal> => BigDecimal.fromNumber(n).pipe(Option.map(BigDecimal.normalize))

/** Parses `"0.10000000"`, `"1e-8"`, `"42"`. */
export const parse = (s: string): Option.Option<Decimal> => BigDecimal.fromString(s.trim()).pipe(Option.map(BigDecimal.normalize))

/** Like {@link parse}, for values already known to be decimal strings (fixtures, constants). */
export const unsafe = (s: string | number): Decimal =>
  Option.getOrThrowWith(
    typeof s === "number" ? fromNumber(s) : parse(s),
    () => new RangeError(`not a decimal: ${String(s)}`)
  )

/** The plain decimal string, never in exponent form: `0.00001`, `100`, `-2.5`. */
export const format = (d: Decimal): string => {
  const n = BigDecimal.normalize(d)
  const negative = n.value < 0n
  const digits = (negative ? -n.value : n.value).toString()
  let out: string
  if (n.scale <= 0) {
    out = digits + "0".repeat(-n.scale)
  } else {
    const padded = digits.padStart(n.scale + 1, "0")
    out = `${padded.slice(0, padded.length - n.scale)}.${padded.slice(padded.length - n.scale)}`
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

/** The nearest number; exact for every value with at most 15 significant digits. */
export const toNumber = (d: Decimal): number => Number(format(d))

const common = (a: Decimal, b: Decimal): readonly [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale, 0)
  return [BigDecimal.scale(a, scale).value, BigDecimal.scale(b, scale).value, scale]
}

/** The largest multiple of `step` not above `x` (for `x >= 0`). `step` must be positive. */
export const floorTo = (x: Decimal, step: Decimal): Decimal => {
  const [xv, sv, scale] = common(x, step)
  const q = xv / sv
  const floored = xv < 0n && q * sv !== xv ? q - 1n : q
  return BigDecimal.normalize(BigDecimal.make(floored * sv, scale))
}

/** The smallest multiple of `step` not below `x`. `step` must be positive. */
export const ceilTo = (x: Decimal, step: Decimal): Decimal => {
  const [xv, sv, scale] = common(x, step)
  const q = xv / sv
  const ceiled = xv > 0n && q * sv !== xv ? q + 1n : q
  return BigDecimal.normalize(BigDecimal.make(ceiled * sv, scale))
}

export const add = (a: Decimal, b: Decimal): Decimal => BigDecimal.normalize(BigDecimal.sum(a, b))
export const sub = (a: Decimal, b: Decimal): Decimal => BigDecimal.normalize(BigDecimal.subtract(a, b))
export const mul = (a: Decimal, b: Decimal): Decimal => BigDecimal.normalize(BigDecimal.multiply(a, b))
export const lt = (a: Decimal, b: Decimal): boolean => BigDecimal.isLessThan(a, b)
export const lte = (a: Decimal, b: Decimal): boolean => BigDecimal.isLessThanOrEqualTo(a, b)
export const gt = (a: Decimal, b: Decimal): boolean => BigDecimal.isGreaterThan(a, b)
export const gte = (a: Decimal, b: Decimal): boolean => BigDecimal.isGreaterThanOrEqualTo(a, b)
export const eq = (a: Decimal, b: Decimal): boolean => BigDecimal.equals(a, b)
export const isPositive = (a: Decimal): boolean => BigDecimal.isPositive(a)
export const isZero = (a: Decimal): boolean => BigDecimal.isZero(a)
export const min = (a: Decimal, b: Decimal): Decimal => (lte(a, b) ? a : b)
export const max = (a: Decimal, b: Decimal): Decimal => (gte(a, b) ? a : b)
