/**
 * Loading ccxt and preparing one instance for orderops. ccxt is only ever loaded
 * here, by a dynamic `import("ccxt")` (about 300 ms and 140 MB), so the dry-run path
 * and the CLI's help never pay for it. Type-only imports of ccxt are erased.
 *
 * Preparation:
 * - ccxt's own retries off (`maxRetriesOnFailure: 0`: a retried create re-sends the
 *   same client order id and fails "Duplicate order sent." although the order
 *   exists) and its throttle off (`enableRateLimit: false`: the venue's budget paces).
 * - The class is ccxt pro's where it has one (`ccxt.pro[id]`, which extends the REST
 *   class): one instance, one set of markets and one clock offset serve both the
 *   REST requests and the WebSocket watchers (`WatchOrders.ts`). ccxt's own reconnect
 *   delay is off (`ws.backoff.base` 0: it sleeps on the real clock); the watcher
 *   paces its reconnects itself.
 * - `baseUrl` rewrites the origin of every URL under `urls.api`: `http(s)` ones to
 *   `baseUrl`, `ws(s)` ones (the WebSocket hosts) to its `ws(s)` form.
 * - On `binance`, spot only, as on `binanceus`: no futures or margin market lists
 *   and no wallet currency list at start-up (orderops trades spot; Binance's spot
 *   testnet has none of those endpoints).
 * - A tap on the instance's response handlers records, per failed response, its
 *   status, headers, body error code and request line (ccxt keeps only the *last*
 *   response's headers, `last_response_headers`, which concurrent requests
 *   overwrite), plus the usage headers of every answer and the `rateLimits` that
 *   `exchangeInfo` advertises, for the request budget.
 */
import type * as Ccxt from "ccxt"
import { Agent as HttpAgent } from "node:http"
import { Effect, Redacted } from "effect"
import { ValidationError } from "../../errors/ValidationError.ts"
import type { Usage } from "./budget.ts"
import { usageFromHeaders } from "./exchanges/binance/Limits.ts"
import type { HttpInfo } from "./classify.ts"

export type CcxtModule = typeof Ccxt
export type CcxtExchange = Ccxt.Exchange

/** Loads the ccxt module (once per process; later imports are cached by the runtime). */
export const loadCcxt: Effect.Effect<CcxtModule> = Effect.promise(() => import("ccxt"))

export interface InstanceOptions {
  readonly exchange: string
  readonly apiKey: Redacted.Redacted<string>
  readonly secret: Redacted.Redacted<string>
  readonly baseUrl?: string | undefined
  readonly timeoutMs?: number | undefined
}

type ExchangeConstructor = new(config: Record<string, unknown>) => CcxtExchange

/** ccxt options that keep an exchange to what a spot trader needs, where ccxt loads more by default. */
const SPOT_ONLY: Readonly<Record<string, Record<string, unknown>>> = {
  binance: { fetchMarkets: { types: ["spot"], loadAllOptions: false }, fetchCurrencies: false, fetchMargins: false }
}

/** The class for `id`: ccxt pro's (REST and WebSocket on one instance) where it has one, else the REST class. */
const constructorOf = (ccxt: CcxtModule, id: string): unknown => {
  const pro: Readonly<Record<string, unknown>> = ccxt.pro
  const rest: Readonly<Record<string, unknown>> = ccxt.exchanges
  return Object.hasOwn(pro, id) ? pro[id] : Object.hasOwn(rest, id) ? rest[id] : undefined
}

/** Builds the ccxt instance. The only place the key and secret leave `Redacted`. */
export const makeInstance = (ccxt: CcxtModule, options: InstanceOptions): Effect.Effect<CcxtExchange, ValidationError> =>
  Effect.suspend(() => {
    const Ctor = constructorOf(ccxt, options.exchange)
    if (typeof Ctor !== "function") {
      return Effect.fail(
        new ValidationError({
          operation: "LiveExchangeLayer",
          symbol: "",
          rule: "InvalidArgument",
          field: "exchange",
          value: options.exchange
        })
      )
    }
    return Effect.sync(() => {
      const exchange = new (Ctor as ExchangeConstructor)({
        apiKey: Redacted.value(options.apiKey),
        secret: Redacted.value(options.secret),
        enableRateLimit: false,
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
        options: { maxRetriesOnFailure: 0, ws: { backoff: { base: 0 } }, ...SPOT_ONLY[options.exchange] }
      })
      if (options.baseUrl !== undefined) pointAt(exchange, options.baseUrl)
      return exchange
    })
  })

/**
 * Binance answers a create whose client order id is still open with `-2010
 * Duplicate order sent.`, which ccxt reports as a plain `InvalidOrder`. Entered in
 * the instance's own table of exchange messages (`exceptions.exact`, which ccxt
 * consults before the codes), it arrives as ccxt's `DuplicateOrderId` instead, and
 * `classify` tells it apart by class.
 */
export const recogniseDuplicateOrders = (ccxt: Pick<CcxtModule, "DuplicateOrderId">, exchange: CcxtExchange): void => {
  if (!exchange.id.startsWith("binance")) return
  const exceptions: Record<string, unknown> = exchange.exceptions ?? {}
  const exact = typeof exceptions["exact"] === "object" && exceptions["exact"] !== null ? exceptions["exact"] : {}
  exchange.exceptions = { ...exceptions, exact: { ...exact, "Duplicate order sent.": ccxt.DuplicateOrderId } }
}

/**
 * Replaces the scheme and host of every URL in `value` (recursively) with `baseUrl`,
 * keeping paths: an `http(s)` URL gets `baseUrl`, a `ws(s)` URL its WebSocket form
 * (`http://127.0.0.1:9000` → `ws://127.0.0.1:9000`).
 */
export const rewriteUrls = (value: unknown, baseUrl: string): unknown => {
  const base = baseUrl.replace(/\/+$/, "")
  if (typeof value === "string") {
    return value.replace(/^https?:\/\/[^/]+/i, base).replace(/^wss?:\/\/[^/]+/i, base.replace(/^http/i, "ws"))
  }
  if (Array.isArray(value)) return value.map((v) => rewriteUrls(v, base))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteUrls(v, base)]))
  }
  return value
}

/**
 * Points every API host of `exchange` at `baseUrl` (a test server or a testnet). A
 * plain `http` base makes the WebSocket hosts plain `ws`, for which ccxt wants an
 * HTTP agent of its own (`httpAgent`; it throws NotSupported without one): a default,
 * proxy-less one.
 */
export const pointAt = (exchange: CcxtExchange, baseUrl: string): void => {
  exchange.urls = { ...exchange.urls, api: rewriteUrls(exchange.urls.api, baseUrl) as CcxtExchange["urls"]["api"] }
  if (/^http:/i.test(baseUrl) && exchange.httpAgent === undefined) exchange.httpAgent = new HttpAgent()
}

// ---- the response tap -----------------------------------------------------------

export interface Observed {
  /**
   * The usage headers (`X-MBX-USED-WEIGHT-1M`, `X-MBX-ORDER-COUNT-10S`, …) of the
   * answers since the last drain: per window, the highest count reported.
   */
  readonly usage: ReadonlyArray<Usage>
  /** `rateLimits` of an `exchangeInfo` response. */
  readonly rateLimits?: unknown
}

export interface ResponseTap {
  /** What the HTTP response behind `error` said, when `error` came from one. */
  httpInfo(error: unknown): HttpInfo | undefined
  /** What was observed since the last drain. */
  drain(): Observed
}

/** `usage` with `more` merged in: per window, the higher count. */
const mergeUsage = (usage: Array<Usage>, more: ReadonlyArray<Usage>): Array<Usage> => {
  for (const u of more) {
    const i = usage.findIndex((v) => v.kind === u.kind && v.windowMs === u.windowMs)
    if (i < 0) usage.push(u)
    else if (u.used > usage[i]!.used) usage[i] = u
  }
  return usage
}

/** `POST /api/v3/order` for a request to `url`: the path only, so no query (and no signature) is kept. */
export const requestLine = (method: unknown, url: unknown): string | undefined => {
  if (typeof url !== "string") return undefined
  let path: string
  try {
    path = new URL(url).pathname
  } catch {
    return undefined
  }
  return `${typeof method === "string" ? method.toUpperCase() : "GET"} ${path}`
}

const bodyCode = (parsed: unknown): string | undefined => {
  if (typeof parsed !== "object" || parsed === null || !("code" in parsed)) return undefined
  const code = parsed.code
  return typeof code === "number" || typeof code === "string" ? String(code) : undefined
}

/**
 * Wraps the instance's `handleErrors` (called for every response, with its status,
 * headers and parsed body) and `handleHttpStatusCode` (called right after it, in the
 * same tick, when `handleErrors` did not throw). Errors thrown by either are tagged
 * with their response's facts; an error thrown by `fetch` itself (no answer came)
 * with its request. Behaviour is otherwise unchanged.
 */
export const tapResponses = (exchange: CcxtExchange): ResponseTap => {
  const tags = new WeakMap<object, HttpInfo>()
  let current: HttpInfo | undefined
  let usage: Array<Usage> = []
  let rateLimits: unknown = undefined
  const tag = (e: unknown, info: HttpInfo | undefined) => {
    if (typeof e === "object" && e !== null && info !== undefined && !tags.has(e)) tags.set(e, info)
  }

  const handleErrors = exchange.handleErrors
  const handleHttpStatusCode = exchange.handleHttpStatusCode
  exchange.handleErrors = function(this: CcxtExchange, ...args: Parameters<CcxtExchange["handleErrors"]>) {
    const [status, , url, method, headers, , parsed] = args
    current = { status, headers, code: bodyCode(parsed), request: requestLine(method, url) }
    usage = mergeUsage(usage, usageFromHeaders(headers))
    if (typeof parsed === "object" && parsed !== null && "rateLimits" in parsed) rateLimits = parsed.rateLimits
    try {
      return Reflect.apply(handleErrors, this, args)
    } catch (e) {
      tag(e, current)
      throw e
    }
  }
  exchange.handleHttpStatusCode = function(this: CcxtExchange, ...args: Parameters<CcxtExchange["handleHttpStatusCode"]>) {
    try {
      return Reflect.apply(handleHttpStatusCode, this, args)
    } catch (e) {
      tag(e, current !== undefined && current.status === args[0] ? current : { status: Number(args[0]), request: requestLine(args[3], args[2]) })
      throw e
    }
  }
  // A request that got no answer (a timeout, a refused connection) fails in `fetch`: its error learns the request.
  const fetch = exchange.fetch
  exchange.fetch = function(this: CcxtExchange, ...args: Parameters<CcxtExchange["fetch"]>) {
    return (Reflect.apply(fetch, this, args) as Promise<unknown>).catch((e: unknown) => {
      tag(e, { request: requestLine(args[1], args[0]) })
      throw e
    })
  }

  return {
    httpInfo: (error) => (typeof error === "object" && error !== null ? tags.get(error) : undefined),
    drain: () => {
      const out = { usage, rateLimits }
      if (usage.length > 0) usage = []
      rateLimits = undefined
      return out
    }
  }
}
