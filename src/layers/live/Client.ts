/**
 * The one bridge to ccxt. Every request orderops makes goes through `use`, which
 * - takes its place in the request budget (`budget.ts`: weight per minute, orders
 *   per 10 s and per day), waiting its turn when the budget is spent, and gives it
 *   back when the answer arrives;
 * - writes one debug line saying what the request is for (never a secret);
 * - makes the call, and aborts it when the fiber is interrupted;
 * - feeds the budget what the exchange reported, as the answer arrives (usage
 *   headers, advertised limits, a `Retry-After` pause counted from that moment),
 *   read per response by the tap in `instance.ts`; a pause is a WARN line;
 * - classifies any failure (`classify.ts`) and decodes the answer, so nothing
 *   ccxt-shaped leaves;
 * - on `InvalidNonce` (Binance -1021) resyncs the clock once and retries once.
 *
 * Nothing else calls ccxt: the adapters (`exchanges/binance/BinanceSpot.ts`, `CcxtUnified.ts`) and the
 * market cache (`Markets.ts`) hand `use` the call to make.
 */
import { AsyncLocalStorage } from "node:async_hooks"
import { type Clock, Context, Effect, Result } from "effect"
import type { ErrorContextFields } from "../../errors/context.ts"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import type { VenueError } from "../../errors/index.ts"
import { BINANCE_WEIGHT, BINANCEUS_WEIGHT, limitsFromBinance, ordersPlaced, PRIVATE_REQUESTS, type RequestKind } from "./exchanges/binance/Limits.ts"
import { type BudgetLimits, makeRateBudget, type WindowLimit } from "./budget.ts"
import { type CcxtErrors, classify, type HttpInfo } from "./classify.ts"
import { type CcxtExchange, recogniseDuplicateOrders, tapResponses } from "./instance.ts"
import { logLazily } from "../../services/LogLevels.ts"
import { failure } from "./RawOrder.ts"

/** One request: what it is for (error context, budget weight) and its debug line. */
export interface Request extends ErrorContextFields {
  readonly kind: RequestKind
  /** The debug line: what this request is for. */
  readonly describe: () => string
}

export interface CcxtClientService {
  /** The ccxt exchange id. */
  readonly id: string
  /** What the exchange supports, as ccxt states it (`exchange.has`). */
  readonly has: (capability: string) => boolean
  /**
   * Makes one request: `f` calls ccxt, `decode` reads its answer. Fails with a
   * classified `VenueError`; interrupting the fiber aborts the HTTP request.
   */
  use<A, B = A>(
    req: Request,
    f: (exchange: CcxtExchange) => Promise<A>,
    decode?: (raw: A) => Result.Result<B, ExchangeError>
  ): Effect.Effect<B, VenueError>
}

export class CcxtClient extends Context.Service<CcxtClient, CcxtClientService>()("orderops/CcxtClient") {}

export interface CcxtClientOptions {
  /**
   * The request budget. Default: what the exchange advertises (Binance's
   * `exchangeInfo.rateLimits`), ccxt's `rateLimit` pacing until then. Limits given
   * here win over the advertised ones; `false` turns the budget off.
   */
  readonly rateLimit?: BudgetLimits | false | undefined
  /** Literal values scrubbed from every message: the API key and secret. */
  readonly secrets?: ReadonlyArray<string> | undefined
}

/** `1200 weight per 60000 ms; 100 orders per 10000 ms, 200000 orders per 86400000 ms`, for the debug line. */
const describeLimits = (limits: BudgetLimits): string => {
  const kind = (windows: WindowLimit | ReadonlyArray<WindowLimit> | undefined, unit: string) =>
    (windows === undefined ? [] : "limit" in windows ? [windows] : windows).map((w) => `${w.limit} ${unit} per ${w.windowMs} ms`).join(", ") || `no ${unit} limit`
  return `${kind(limits.weight, "weight")}; ${kind(limits.orders, "orders")}`
}

/** A ccxt instance's per-request timeout: how long after giving a request up it may still arrive. */
const timeoutOf = (exchange: CcxtExchange): number =>
  typeof exchange.timeout === "number" && exchange.timeout > 0 ? exchange.timeout : 10_000

/**
 * Lets an `AbortSignal` reach the HTTP request ccxt makes. ccxt 4.5.84 makes its own
 * `AbortController` per request (for its timeout) and takes no signal from the
 * caller; on Node it sends through `undiciRequest`, so that method, wrapped on the
 * instance, adds the signal of the `use` it runs under (carried by async context).
 */
const abortable = (exchange: CcxtExchange) => {
  const current = new AsyncLocalStorage<AbortSignal>()
  const send = exchange.undiciRequest
  exchange.undiciRequest = function(this: CcxtExchange, url: unknown, params: { signal?: AbortSignal }) {
    const interrupted = current.getStore()
    const timedOut = params.signal
    if (interrupted === undefined || timedOut === undefined) return Reflect.apply(send, this, [url, params])
    // Either signal aborts the request. (`AbortSignal.any` does the same at several times the cost.)
    const controller = new AbortController()
    const abort = () => controller.abort()
    interrupted.addEventListener("abort", abort)
    timedOut.addEventListener("abort", abort)
    return Reflect.apply(send, this, [url, { ...params, signal: controller.signal }]).finally(() => {
      interrupted.removeEventListener("abort", abort)
      timedOut.removeEventListener("abort", abort)
    })
  }
  return <A>(signal: AbortSignal, f: () => Promise<A>): Promise<A> => current.run(signal, f)
}

/** The budget a venue starts with, before the exchange advertises its limits. */
const initialLimits = (exchange: CcxtExchange, binance: boolean, override: BudgetLimits | undefined): BudgetLimits => {
  const pace = typeof exchange.rateLimit === "number" && exchange.rateLimit > 0 ? exchange.rateLimit : 100
  return binance
    ? { weight: { limit: Math.floor(60_000 / pace), windowMs: 60_000 }, ...override }
    : { weight: { limit: 10, windowMs: 10 * pace }, ...override }
}

/**
 * The client over a ready ccxt instance (as `PgClient.fromPool`): tests inject a
 * scripted or failing instance this way. `ccxt` is the module the instance comes
 * from: its error classes classify failures.
 */
export const makeCcxtClient = Effect.fnUntraced(function*(
  ccxt: CcxtErrors,
  exchange: CcxtExchange,
  options: CcxtClientOptions = {}
) {
  const id = exchange.id
  const binance = id.startsWith("binance")
  const tap = tapResponses(exchange)
  recogniseDuplicateOrders(ccxt, exchange)
  const run = abortable(exchange)
  const secrets = options.secrets ?? []
  const budgeted = options.rateLimit !== false
  const override = options.rateLimit === false ? undefined : options.rateLimit
  const budget = yield* makeRateBudget(budgeted ? initialLimits(exchange, binance, override) : {})
  const weights = id === "binanceus" ? BINANCEUS_WEIGHT : binance ? BINANCE_WEIGHT : undefined
  const holdUnansweredMs = timeoutOf(exchange)
  let authenticated = false
  let advertised = false

  /**
   * Feeds the budget what the responses since the last call said (usage headers,
   * advertised limits), at `now`; gives the debug line to write when the exchange's
   * advertised limits were just adopted. Plain code run as the answer arrives (see `attempt`).
   */
  const feedBudget = (now: number): string | undefined => {
    const seen = tap.drain()
    if (!budgeted) return undefined
    let note: string | undefined
    if (seen.rateLimits !== undefined && !advertised) {
      advertised = true
      const limits = { ...limitsFromBinance(seen.rateLimits), ...override }
      budget.configureUnsafe(limits)
      note = `${id}: request budget ${describeLimits(limits)}`
    }
    if (seen.usage.length > 0) budget.observeUnsafe(seen.usage, now)
    return note
  }

  /**
   * The failure `error` (thrown or rejected on the way to or from the exchange)
   * stands for at `now`, classified with its own response's status and headers. A
   * bug in classifying it is a defect.
   */
  const classified = (req: Request, error: unknown, http: HttpInfo | undefined, now: number): VenueError =>
    classify(error, { ccxt, context: req, authenticated, http, secrets, now })

  /**
   * `decode(raw)`, for an answer that arrived: the request proved the credentials
   * work, and an answer that throws while it is read is one orderops cannot read.
   */
  const read = <A, B>(req: Request, decode: (raw: A) => Result.Result<B, ExchangeError>, raw: A): Result.Result<B, ExchangeError> => {
    if (PRIVATE_REQUESTS.has(req.kind)) authenticated = true
    try {
      return decode(raw)
    } catch (error) {
      return Result.fail(failure({ ...req, exchange: id }, "answer", error instanceof Error ? error.message : String(error)))
    }
  }

  /**
   * The WARN line for a `Retry-After` that moved the end of the pause: what was
   * refused, and when requests go out again.
   */
  const pauseLine = (req: Request, e: VenueError, http: HttpInfo | undefined, ms: number, until: number) =>
    Effect.logWarning(
      `${id}: ${http?.status ?? e.reason} on ${http?.request ?? req.describe()}; every request held ${ms} ms ` +
        `(Retry-After), until ${new Date(until).toISOString()}`
    ).pipe(Effect.annotateLogs(annotationsOf(id, req)))

  /**
   * One request, once: budget, debug line, call, budget feedback, decoding,
   * classification. It is every live operation's hot path (benches (a) and (i)), so
   * everything between the call and the fiber's resumption is plain code in the
   * promise's callbacks (the budget given back and fed at the time the Effect clock
   * gives when the answer arrives, the answer decoded or the failure classified,
   * `Retry-After` applied from that moment), and the fiber resumes once, with the outcome.
   */
  const attempt = <A, B>(
    req: Request,
    f: (exchange: CcxtExchange) => Promise<A>,
    decode: (raw: A) => Result.Result<B, ExchangeError>
  ): Effect.Effect<B, VenueError> => {
    const weight = weights?.[req.kind] ?? 1
    const orders = ordersPlaced(req.kind)
    /** The request, sent if the budget holds room for it in this step; otherwise it waits its turn again. */
    const send = (clock: Clock.Clock): Effect.Effect<B, VenueError> =>
      Effect.callback<B, VenueError>((resume, signal) => {
        if (!budget.tryTakeUnsafe(weight, orders, clock.currentTimeMillisUnsafe())) {
          // Since it was let through, another request took the room or a Retry-After began.
          resume(Effect.andThen(budget.ready(weight, orders), Effect.suspend(() => send(clock))))
          return
        }
        let given = false
        /** Gives the budget back once: from now when answered, from the hold after now when given up. */
        const giveBack = (answered: boolean): number => {
          const now = clock.currentTimeMillisUnsafe()
          if (!given) {
            given = true
            budget.settleUnsafe(weight, orders, answered ? now : now + holdUnansweredMs)
          }
          return now
        }
        /** The failure `e`, at `now`: its debug line, and its `Retry-After` applied (a WARN when it holds requests longer). */
        const failed = (e: VenueError, http: HttpInfo | undefined, now: number): Effect.Effect<never, VenueError> => {
          const line = logLazily("Debug", () => `${id}: ${req.describe()} failed: ${e._tag} ${e.reason}`)
          const wait = e._tag === "ExchangeError" ? e.retryAfterMs : undefined
          // A 429 that says no wait still says the window is full: -1015 the orders', else the weight's.
          if (wait === undefined && http?.status === 429) budget.fillUnsafe(http.code === "-1015" ? "orders" : "weight", now)
          const paused = wait !== undefined && budget.pauseUnsafe(wait, now)
          return Effect.andThen(paused ? Effect.andThen(line, pauseLine(req, e, http, wait, now + wait)) : line, Effect.fail(e))
        }
        const settle = (outcome: Result.Result<B, VenueError>, http: HttpInfo | undefined, answered: boolean) => {
          const now = giveBack(answered)
          const note = feedBudget(now)
          const result = Result.isSuccess(outcome) ? Effect.succeed(outcome.success) : failed(outcome.failure, http, now)
          resume(note === undefined ? result : Effect.andThen(Effect.logDebug(note), result))
        }
        const fail = (error: unknown) => {
          try {
            const http = tap.httpInfo(error)
            settle(Result.fail(classified(req, error, http, clock.currentTimeMillisUnsafe())), http, http !== undefined)
          } catch (bug) {
            resume(Effect.die(bug))
          }
        }
        const answered = (raw: A) => {
          try {
            settle(read(req, decode, raw), undefined, true)
          } catch (bug) {
            resume(Effect.die(bug))
          }
        }
        try {
          run(signal, () => f(exchange)).then(answered, fail)
        } catch (error) {
          fail(error)
        }
        // Interrupted before the answer: the request may still arrive.
        return Effect.sync(() => void giveBack(false))
      })
    const sent = (clock: Clock.Clock) => Effect.andThen(logLazily("Debug", () => `${id}: ${req.describe()}`), send(clock))
    // A request that fits the budget goes at once; otherwise it waits its turn, and leaves later.
    // Its room is held in the step that sends it, so an interruption can never strand it.
    return Effect.clockWith((clock) =>
      budget.fitsUnsafe(weight, orders, clock.currentTimeMillisUnsafe())
        ? sent(clock)
        : Effect.andThen(budget.ready(weight, orders), sent(clock))
    )
  }

  /** Resyncs ccxt's clock offset with the exchange's (`loadTimeDifference`). */
  const resync = (req: ErrorContextFields) =>
    attempt(
      { ...req, kind: "time", describe: () => "GET server time to resync the clock after a timestamp rejection" },
      (ex) => {
        ex.options["adjustForTimeDifference"] = true
        return ex.loadTimeDifference()
      },
      Result.succeed
    )

  const use = <A, B = A>(
    req: Request,
    f: (exchange: CcxtExchange) => Promise<A>,
    decode: (raw: A) => Result.Result<B, ExchangeError> = Result.succeed as (raw: A) => Result.Result<B, ExchangeError>
  ): Effect.Effect<B, VenueError> =>
    Effect.catchIf(
      attempt(req, f, decode),
      (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "InvalidNonce",
      (e) =>
        Effect.logWarning(`${id}: request timestamp rejected (${e.detail}); resyncing the clock and retrying once`).pipe(
          Effect.annotateLogs(annotationsOf(id, req)),
          Effect.andThen(resync(req)),
          Effect.andThen(attempt(req, f, decode))
        )
    )

  return CcxtClient.of({ id, has: (capability) => Boolean(exchange.has[capability]), use })
})

/**
 * A line's annotations for a request. The engine annotates its own lines; the
 * venue's few warnings carry theirs, as they may be written outside the engine's.
 */
export const annotationsOf = (venue: string, req: ErrorContextFields) => ({
  symbol: req.symbol,
  venue,
  ...(req.orderId === undefined ? {} : { orderId: req.orderId }),
  ...(req.clientOrderId === undefined ? {} : { clientOrderId: req.clientOrderId })
})
