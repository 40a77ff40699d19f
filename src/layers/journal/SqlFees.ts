/**
 * How the journal's SQL tables store exact amounts: plain decimal text (`"0.05"`),
 * and an order's fees by asset as one JSON object of decimal text
 * (`{"HBAR":"0.1","BNB":"0.00002"}`), which keeps every digit and any number of
 * assets in one column that both SQLite and PostgreSQL store as TEXT.
 */
import { Schema } from "effect"

/** An amount as stored: plain decimal text. */
export const DecimalText = Schema.String.pipe(Schema.check(Schema.isPattern(/^-?\d+(\.\d+)?$/)))

/** The `fees` column: null (none recorded) or a JSON object of decimal text by asset. */
export const FeesColumn = Schema.NullOr(Schema.fromJsonString(Schema.Record(Schema.String, DecimalText)))

/** Fees as the column stores them; null for none. */
export const feesText = (fees: Readonly<Record<string, string>>): string | null =>
  Object.keys(fees).length === 0 ? null : JSON.stringify(fees)
