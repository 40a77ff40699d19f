/**
 * What the `orderops` command prints: readable tables, JSON, and the one-line
 * error report with its exit code (0 success, 1 bad input, 2 exchange,
 * authentication, network or journal failure). Everything printed about a
 * failure passes through `redactSecrets`, so no output ever carries a key.
 */
import { Cause, Clock, Console, Effect, Option, Schema } from "effect"
import { CliError, CliOutput } from "effect/cli"
import * as D from "../services/Decimal.ts"
import { formatRecord, type LogFormat } from "../services/LogFormat.ts"
import type { Fees, OrderRecord } from "../services/OrderRecord.ts"
import type { Trade } from "../services/Trade.ts"

/** Bad input the CLI itself caught: an unparsable flag value, a refused confirmation. Exit code 1. */
export class CliUsageError extends Schema.TaggedError<CliUsageError>()("CliUsageError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/** An order the market's rules refused, explained in the terms the person typed. Exit code 1. */
export class CliInputError extends Schema.TaggedError<CliInputError>()("CliInputError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * How `effect/cli` output reaches the terminal: help and the version as usual; a
 * command line that does not parse as one line on stderr naming the problem and
 * where the help is (`... ; see orderops buy --help`), nothing on stdout.
 */
export const usagePresenter = (
  args: ReadonlyArray<string>,
  commands: ReadonlyArray<string>,
  format: LogFormat = "line"
): CliOutput.Presenter => ({
  present: (event) => {
    const usage = (problem: string) =>
      failureLine(format, "usage", `${problem}; see ${event._tag === "Version" ? "orderops" : event.commandPath.join(" ")} --help`)
    // No command was parsed although arguments were given: a flag took the command as its value, or none was typed.
    const noCommand = event._tag !== "Version" && event.commandPath.length === 1 && args.length > 0
    const took = noCommand ? flagTookCommand(args, commands) : undefined
    if (took !== undefined) return usage(took)
    if (event._tag === "InvalidInvocation") {
      return usage(event.errors.map((e) => e.message.trim()).join("; ").replace(/\s*\n\s*/g, " "))
    }
    if (event._tag === "Help" && event.reason === "Implicit" && noCommand) return usage(`no command given (${args.join(" ")})`)
    return CliOutput.defaultPresenter.present(event)
  }
})

/**
 * The one stderr line that reports a failed command: `orderops: <kind>: <message>`,
 * or with `--log-format json` an ERROR record as the log's (`kind` in its
 * annotations), so that every stderr line of a JSON run is JSON. Secrets redacted.
 */
export const failureLine = (format: LogFormat, kind: string, message: string): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Console.error(
      redactSecrets(
        format === "json"
          ? formatRecord("json", { time: new Date(now), level: "ERROR", message: `${kind}: ${message}`, annotations: { kind } })
          : `orderops: ${kind}: ${message}`
      )
    ))

/**
 * The usual reason a command line names no command: a flag given no value took
 * the command's name as its value (`orderops --symbol balance`). Undefined when
 * no flag did.
 */
export const flagTookCommand = (args: ReadonlyArray<string>, commands: ReadonlyArray<string>): string | undefined => {
  for (let i = 0; i + 1 < args.length; i++) {
    const flag = args[i]!
    const value = args[i + 1]!
    if (flag.startsWith("-") && !flag.includes("=") && commands.includes(value)) {
      return `${flag} needs a value: it took "${value}", a command, as its value (e.g. orderops ${flag} VALUE ${value})`
    }
  }
  return undefined
}

/** The environment variables whose values must never be printed. */
const SECRET_VARIABLES = ["ORDEROPS_API_KEY", "ORDEROPS_API_SECRET", "ORDEROPS_API_PASSWORD", "ORDEROPS_API_PASSPHRASE"]

/** Replaces every configured secret's value in `text` by `<redacted>`. */
export const redactSecrets = (text: string, env: Record<string, string | undefined> = process.env): string => {
  let out = text
  for (const name of SECRET_VARIABLES) {
    const value = env[name]?.trim()
    if (value !== undefined && value.length >= 4) out = out.split(value).join("<redacted>")
  }
  return out
}

// ---- values -----------------------------------------------------------------

/** An amount as plain decimal text, never in exponent form. */
export const amount = (n: number | D.Decimal): string =>
  typeof n !== "number" ? D.format(n) : Number.isFinite(n) ? D.format(D.unsafe(n)) : String(n)

/** An optional amount's text, `-` when absent. */
const optionalAmount = (a: Option.Option<D.Decimal>): string => Option.match(a, { onNone: () => "-", onSome: D.format })

/** Fees by asset as `0.1 HBAR, 0.00002 BNB`; `-` for none. */
export const feesText = (fees: Fees): string => {
  const assets = Object.keys(fees)
  return assets.length === 0 ? "-" : assets.map((a) => `${D.format(fees[a]!)} ${a}`).join(", ")
}

/** Epoch ms as `2025-01-31 12:00:00Z`. */
export const time = (ms: number): string => {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : `${d.toISOString().slice(0, 19).replace("T", " ")}Z`
}

/** Left-aligned columns separated by two spaces. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  return [line(headers), ...rows.map(line)].join("\n")
}

export const ordersTable = (orders: ReadonlyArray<OrderRecord>): string =>
  orders.length === 0
    ? "No orders."
    : table(
      ["ID", "SIDE", "TYPE", "PRICE", "TRIGGER", "QUANTITY", "FILLED", "AVG PRICE", "FEES", "STATUS", "TIME", "CLIENT ORDER ID"],
      orders.map((o) => [
        o.id,
        o.side,
        o.type,
        Option.match(o.price, { onNone: () => "market", onSome: D.format }),
        optionalAmount(o.triggerPrice),
        D.format(o.quantity),
        D.format(o.filled),
        optionalAmount(o.averagePrice),
        feesText(o.fees),
        o.status,
        time(o.timestamp),
        o.clientOrderId
      ])
    )

/**
 * An order record with the library's field names, in the library's field order;
 * amounts as exact decimal text (absent ones null), so no digit is lost to a float.
 */
export const recordJson = (o: OrderRecord) => ({
  id: o.id,
  clientOrderId: o.clientOrderId,
  symbol: o.symbol,
  side: o.side,
  type: o.type,
  price: Option.match(o.price, { onNone: () => null, onSome: D.format }),
  triggerPrice: Option.match(o.triggerPrice, { onNone: () => null, onSome: D.format }),
  quantity: D.format(o.quantity),
  filled: D.format(o.filled),
  cost: D.format(o.cost),
  averagePrice: Option.match(o.averagePrice, { onNone: () => null, onSome: D.format }),
  fees: Object.fromEntries(Object.entries(o.fees).map(([asset, fee]) => [asset, D.format(fee)])),
  listId: Option.getOrNull(o.listId),
  status: o.status,
  timestamp: o.timestamp
})

export const tradesTable = (trades: ReadonlyArray<Trade>): string =>
  trades.length === 0
    ? "No trades."
    : table(
      ["TRADE ID", "ORDER ID", "SIDE", "PRICE", "QUANTITY", "QUOTE", "FEE", "ROLE", "TIME", "CLIENT ORDER ID"],
      trades.map((t) => [
        t.id,
        t.orderId,
        t.side,
        D.format(t.price),
        D.format(t.quantity),
        D.format(t.quoteQuantity),
        D.isZero(t.fee) ? "0" : `${D.format(t.fee)} ${t.feeAsset}`,
        t.maker ? "maker" : "taker",
        time(t.timestamp),
        t.clientOrderId === "" ? "-" : t.clientOrderId
      ])
    )

/** A trade with the library's field names, amounts as exact decimal text. */
export const tradeJson = (t: Trade) => ({
  id: t.id,
  orderId: t.orderId,
  clientOrderId: t.clientOrderId,
  side: t.side,
  price: D.format(t.price),
  quantity: D.format(t.quantity),
  quoteQuantity: D.format(t.quoteQuantity),
  fee: D.format(t.fee),
  feeAsset: t.feeAsset,
  maker: t.maker,
  timestamp: t.timestamp
})

export const printJson = (value: unknown) => Console.log(JSON.stringify(value, null, 2))

// ---- failures ---------------------------------------------------------------

const BAD_INPUT = new Set(["ValidationError", "CliUsageError", "CliInputError"])
const OPERATIONAL = new Set(["AuthenticationError", "NetworkError", "ExchangeError", "JournalError", "OrderSessionError"])

const tagOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "_tag" in u && typeof u._tag === "string" ? u._tag : undefined

/** The exit code for a failure: 1 for bad input, 2 for everything the user could not have fixed by typing differently. */
export const exitCodeOf = (error: unknown): 1 | 2 => {
  const tag = tagOf(error)
  if (tag !== undefined && (BAD_INPUT.has(tag) || CliError.isCliError(error))) return 1
  return 2
}

const kindOf = (tag: string | undefined): string => {
  switch (tag) {
    case "ValidationError":
    case "CliInputError":
      return "invalid input"
    case "CliUsageError":
      return "usage"
    case "AuthenticationError":
      return "authentication failed"
    case "NetworkError":
      return "network error"
    case "ExchangeError":
      return "exchange error"
    case "JournalError":
      return "journal error"
    case "OrderSessionError":
      return "cleanup error"
    default:
      return "error"
  }
}

/**
 * Reports a failed run on stderr and gives its exit code. Parse errors (and a
 * command line `args` that names no command) were already printed by
 * `usagePresenter`, so only their code is given.
 * Interruptions are not failures of the command: they give 130.
 */
export const reportFailure = (cause: Cause.Cause<unknown>, args: ReadonlyArray<string>, format: LogFormat = "line"): Effect.Effect<number> =>
  Effect.gen(function*() {
    if (Cause.hasInterruptsOnly(cause)) return yield* Effect.interrupt
    const error = Cause.squash(cause)
    // `orderops` alone shows the help and succeeds; with arguments but no command it is a usage error.
    if (CliError.isCliError(error)) return error._tag === "ShowHelp" && error.errors.length === 0 && args.length === 0 ? 0 : 1
    const tag = tagOf(error)
    if (tag !== undefined && (BAD_INPUT.has(tag) || OPERATIONAL.has(tag))) {
      const message = error instanceof Error ? error.message : String(error)
      yield* failureLine(format, kindOf(tag), message)
      return exitCodeOf(error)
    }
    // Anything else (a configuration error, a defect) is reported whole.
    const message = error instanceof Error ? error.message : Cause.pretty(cause)
    yield* failureLine(format, tag === undefined ? "error" : kindOf(tag), message)
    return 2
  })
