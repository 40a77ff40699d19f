/**
 * Log records a person can read, or a machine can parse: one line per record.
 * Effect's default logger spreads a record over 5–6 lines with its fiber id; a
 * bot's log (and the `orderops` command's, and the demo's) wants one line each:
 *
 *   2026-01-31T12:00:00.000Z WARN  503 on POST /api/v3/order; retry 2 of 5 in 400 ms  symbol=HBAR/USDT venue=binanceus
 *
 * or, as `json`, one object per line:
 *
 *   {"time":"2026-01-31T12:00:00.000Z","level":"WARN","message":"503 on ...","annotations":{"symbol":"HBAR/USDT"}}
 *
 * Annotations (`Effect.annotateLogs`) follow the message as `key=value`; a cause
 * the record carries comes last, squeezed onto the same line. No fiber ids, no spans.
 * `ORDEROPS_LOG_FORMAT` (`line` or `json`) chooses the format where a program
 * reads it (`formatFromConfig`).
 */
import { Cause, Config, ConfigProvider, Console, Effect, Layer, Logger, References } from "effect"

/** `line`: time, level, message and annotations as text; `json`: the same as one JSON object. */
export type LogFormat = "line" | "json"

export const LOG_FORMATS: ReadonlyArray<LogFormat> = ["line", "json"]

/** The variable `formatFromConfig` reads. */
export const LOG_FORMAT_ENV = "ORDEROPS_LOG_FORMAT"

/** What a record says, before it is written in one format or the other. */
export interface LogRecord {
  readonly time: Date
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  /** The record's cause, on one line, when it carries one. */
  readonly cause?: string | undefined
}

/** Text of one message part: strings as they are, errors by their message, anything else as JSON. */
const partText = (part: unknown): string => {
  if (typeof part === "string") return part
  if (part instanceof Error) return part.message
  try {
    return JSON.stringify(part) ?? String(part)
  } catch {
    return String(part)
  }
}

/** Any run of whitespace with a line break in it becomes one space: a record stays on its line. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, " ").trim()

/** The record a logger call describes. */
export const recordOf = (options: Logger.Options<unknown>): LogRecord => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const cause = options.cause.reasons.length > 0 ? oneLine(Cause.pretty(options.cause)) : undefined
  return {
    time: options.date,
    level: options.logLevel.toUpperCase(),
    message: oneLine(parts.map(partText).join(" ")),
    annotations: options.fiber.getRef(References.CurrentLogAnnotations),
    cause
  }
}

/** A value of `key=value`: bare when it is one plain word, JSON-quoted otherwise. */
const valueText = (value: unknown): string => {
  const text = oneLine(partText(value))
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text)
}

/** `2026-01-31T12:00:00.000Z WARN  message  key=value key=value  cause="..."` */
export const lineOf = (record: LogRecord): string => {
  const pairs = Object.entries(record.annotations).map(([k, v]) => `${k}=${valueText(v)}`)
  if (record.cause !== undefined) pairs.push(`cause=${JSON.stringify(record.cause)}`)
  return `${record.time.toISOString()} ${record.level.padEnd(5)} ${record.message}${pairs.length > 0 ? `  ${pairs.join(" ")}` : ""}`
}

const isScalar = (v: unknown): boolean => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))

/** `{"time":...,"level":...,"message":...,"annotations":{...}}`, plus `"cause"` when there is one. */
export const jsonOf = (record: LogRecord): string =>
  JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    message: record.message,
    annotations: Object.fromEntries(Object.entries(record.annotations).map(([k, v]) => [k, isScalar(v) ? v : partText(v)])),
    ...(record.cause === undefined ? {} : { cause: record.cause })
  })

/** One record as one line of `format`. */
export const formatRecord = (format: LogFormat, record: LogRecord): string => (format === "json" ? jsonOf(record) : lineOf(record))

/**
 * A logger writing each record as one line of `format` on stderr (through the
 * fiber's `Console`, so stdout stays free for a program's own output).
 */
export const logger = (format: LogFormat): Logger.Logger<unknown, void> =>
  Logger.make((options) => options.fiber.getRef(Console.Console).error(formatRecord(format, recordOf(options))))

/** Replaces the default logger with `logger(format)`. */
export const layer = (format: LogFormat): Layer.Layer<never> => Logger.layer([logger(format)])

/** `ORDEROPS_LOG_FORMAT` (`line` or `json`, any case), `line` when unset. */
export const formatFromConfig: Config.Config<LogFormat> = Config.String(LOG_FORMAT_ENV).pipe(
  Config.map((text) => text.trim().toLowerCase()),
  Config.withDefault("line"),
  Config.mapEffect((text) =>
    text === "" || text === "line" || text === "json"
      ? Effect.succeed<LogFormat>(text === "json" ? "json" : "line")
      : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: `${LOG_FORMAT_ENV} is "${text}": use line or json` })))
  )
)

/** `layer` in the format `ORDEROPS_LOG_FORMAT` asks for. */
export const layerFromConfig: Layer.Layer<never, Config.ConfigError> = Layer.unwrap(Effect.map(formatFromConfig, layer))
