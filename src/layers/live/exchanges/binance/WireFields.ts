/**
 * Wire structs declared once, checked two ways: a `Schema.Struct` (the definition,
 * and the one that explains a frame it rejects) and a plain checker compiled from
 * the same field list, which accepts exactly the valid frames at a fraction of the
 * schema's cost. The user stream decodes every frame (issue #21: decode within 2×
 * `JSON.parse` of the frame); the checker goes first and, when it refuses, the
 * schema decides and says why.
 *
 * Each field kind pairs its schema with a predicate that accepts the same values:
 * `Schema.Int` is `Number.isSafeInteger`, a literal set is membership, a pattern
 * is the same regular expression. Optional fields accept a missing key or
 * `undefined`, as `Schema.optional` does.
 */
import { Schema } from "effect"

export interface WireField<S extends Schema.Top> {
  readonly schema: S
  /** Accepts what `schema` accepts (when present). */
  readonly accepts: (value: unknown) => boolean
  readonly optional: boolean
}

const field = <S extends Schema.Top>(schema: S, accepts: (value: unknown) => boolean): WireField<S> => ({ schema, accepts, optional: false })

export const int = field(Schema.Int, (u) => Number.isSafeInteger(u))
export const string = field(Schema.String, (u) => typeof u === "string")
export const boolean = field(Schema.Boolean, (u) => typeof u === "boolean")

/** A string matching `pattern` (kept as the string; the caller reads it). */
export const pattern = (regex: RegExp) =>
  field(Schema.String.check(Schema.isPattern(regex)), (u) => typeof u === "string" && regex.test(u))

/** Whether `s` is plain decimal text: an optional minus, digits, and an optional point followed by digits. */
const isDecimalText = (s: string): boolean => {
  const n = s.length
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0 // "-"
  const start = i
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
  if (i === start) return false
  if (i === n) return true
  if (s.charCodeAt(i) !== 46) return false // "."
  const fraction = ++i
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
  return i === n && i > fraction
}

/** Decimal text as Binance prints amounts (`-?[0-9]+(\.[0-9]+)?`), kept as the string: a scan, cheaper than the pattern's regex. */
export const decimalText = field(
  Schema.String.check(Schema.isPattern(/^-?[0-9]+(\.[0-9]+)?$/)),
  (u) => typeof u === "string" && isDecimalText(u)
)

export const literals = <const L extends ReadonlyArray<string>>(values: L) => {
  const set: ReadonlySet<unknown> = new Set(values)
  return field(Schema.Literals(values), (u) => set.has(u))
}

export const nullOr = <S extends Schema.Top>(f: WireField<S>): WireField<Schema.NullOr<S>> =>
  ({ schema: Schema.NullOr(f.schema), accepts: (u) => u === null || f.accepts(u), optional: f.optional })

export const optional = <S extends Schema.Top>(f: WireField<S>): WireField<Schema.optional<S>> =>
  ({ schema: Schema.optional(f.schema), accepts: f.accepts, optional: true })

export type WireFields = Record<string, WireField<Schema.Top>>

/** The struct of `fields`: its schema, and `check`, which gives the value typed as the schema's when it passes. */
export const wireStruct = <F extends WireFields>(fields: F) => {
  const schemas = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.schema])) as { readonly [K in keyof F]: F[K]["schema"] }
  const schema = Schema.Struct(schemas)
  const keys = Object.keys(fields)
  const checks = Object.values(fields)
  const check = (value: unknown): value is typeof schema.Type => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false
    const o = value as Record<string, unknown>
    for (let i = 0; i < keys.length; i++) {
      const v = o[keys[i]!]
      const f = checks[i]!
      if (v === undefined ? !f.optional : !f.accepts(v)) return false
    }
    return true
  }
  return { schema, check }
}

/** An array of a wire struct's values. */
export const arrayOf = <S extends Schema.Top>(struct: { readonly schema: S; readonly check: (value: unknown) => boolean }) =>
  field(Schema.Array(struct.schema), (u) => Array.isArray(u) && u.every(struct.check))
