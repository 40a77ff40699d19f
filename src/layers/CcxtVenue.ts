/**
 * The live `Venue`: one ccxt exchange instance behind the port the order engine
 * drives. Every ccxt call goes through one bridge, `use`, which
 * - waits for the request budget (weight per minute, orders per 10 s),
 * - logs one debug line saying what the request is for (never a secret),
 * - runs the call and classifies any failure (`ccxt/classify.ts`),
 * - feeds the budget what the exchange reported (usage headers, `Retry-After`),
 * - on `InvalidNonce` (Binance -1021) resyncs the clock once and retries once.
 * Results are decoded at once; nothing ccxt-shaped leaves.
 *
 * On Binance and Binance.US spot the order and balance requests go to Binance's REST
 * endpoints through ccxt's implicit methods, and their answers (exact decimal
 * strings) are read by `ccxt/binance.ts`; elsewhere, and with `useUnifiedApi`,
 * ccxt's unified methods are called and their answers read by `ccxt/decode.ts`.
 * Either way ccxt signs, sends and classifies; markets and tickers always go through
 * the unified methods.
 *
 * No policy lives here: retries, look-ups after ambiguous failures and the journal
 * are the engine's (`OrderEngine.ts`), the same for the dry run and live.
 */
import { Clock, Effect, Option, Redacted, Result, Semaphore } from "effect"
import type { ErrorContextFields } from "../errors/context.ts"
import { ExchangeError } from "../errors/ExchangeError.ts"
import type { VenueError } from "../errors/index.ts"
import { ValidationError } from "../errors/ValidationError.ts"
import * as D from "../services/Decimal.ts"
import { debugOn } from "../services/LogLevels.ts"
import type { MarketRules } from "../services/MarketRules.ts"
import type { OrderRecord } from "../services/OrderRecord.ts"
import { describeOrder, type SubmitOrder, type VenueService } from "../services/Venue.ts"
import {
  BINANCE_WEIGHT,
  BINANCEUS_WEIGHT,
  type BudgetLimits,
  limitsFromBinance,
  makeRateBudget,
  PRIVATE_REQUESTS,
  type RequestKind
} from "./ccxt/budget.ts"
import {
  binanceSpotRest,
  decodeBinanceBalances,
  decodeBinanceOrder,
  decodeBinanceOrders,
  orderParams,
  type WireMarket
} from "./ccxt/binance.ts"
import { type CcxtErrors, classify } from "./ccxt/classify.ts"
import {
  type DecodeContext,
  type DecodedOrders,
  decodeBalances,
  decodeLastPrice,
  decodeMarket,
  decodeOrder,
  decodeOrders
} from "./ccxt/decode.ts"
import { type CcxtExchange, type CcxtModule, loadCcxt, makeInstance, recogniseDuplicateOrders, tapResponses } from "./ccxt/instance.ts"

export interface CcxtVenueOptions {
  /** Any ccxt exchange id. Default `binanceus`. */
  readonly exchange?: string | undefined
  readonly apiKey: string | Redacted.Redacted<string>
  readonly secret: string | Redacted.Redacted<string>
  /** Points every API host at this origin (a test server, a testnet). */
  readonly baseUrl?: string | undefined
  /** ccxt's per-request timeout. Default ccxt's (10 s). */
  readonly timeoutMs?: number | undefined
  /**
   * The request budget. Default: what the exchange advertises (Binance's
   * `exchangeInfo.rateLimits`), ccxt's `rateLimit` pacing until then. Limits given
   * here win over the advertised ones; `false` turns the budget off.
   */
  readonly rateLimit?: BudgetLimits | false | undefined
  /**
   * Call ccxt's unified methods (`createOrder`, `fetchOpenOrders`, ...) on Binance
   * spot too, instead of its REST endpoints through ccxt's implicit methods. The
   * records are the same; the unified path parses through floats and costs more CPU
   * per request. Default false.
   */
  readonly useUnifiedApi?: boolean | undefined
}

interface Request extends ErrorContextFields {
  readonly kind: RequestKind
  /** The debug line: what this request is for (built only when debug is on). */
  readonly describe: () => string
}

const redacted = (s: string | Redacted.Redacted<string>) => (Redacted.isRedacted(s) ? s : Redacted.make(s))

/**
 * The budget counts a request when it leaves, the exchange when it arrives: requests
 * at a window's edge can arrive closer together than they left. Advertised windows
 * are widened by this much so that jitter never tips one over the limit.
 */
const LATENCY_MARGIN_MS = 250

const widen = (limits: BudgetLimits): BudgetLimits => ({
  ...(limits.weight === undefined ? {} : { weight: { ...limits.weight, windowMs: limits.weight.windowMs + LATENCY_MARGIN_MS } }),
  ...(limits.orders === undefined ? {} : { orders: { ...limits.orders, windowMs: limits.orders.windowMs + LATENCY_MARGIN_MS } })
})

/** Binance's allOrders refuses a `[startTime, endTime]` window longer than 24 h. */
const DAY_MS = 86_400_000

/**
 * The venue over a ready ccxt instance (as `PgClient.fromPool`): tests inject a
 * scripted or failing instance this way. `ccxt` is the module the instance comes
 * from (its error classes classify failures); `secrets` are scrubbed from messages.
 */
export const fromExchange = Effect.fnUntraced(function*(
  ccxt: CcxtErrors,
  exchange: CcxtExchange,
  options: {
    readonly rateLimit?: BudgetLimits | false | undefined
    readonly secrets?: ReadonlyArray<string>
    readonly useUnifiedApi?: boolean | undefined
  } = {}
) {
  const id = exchange.id
  /** Binance spot's REST endpoints, when orderops speaks them here (see the module comment). */
  const rest = options.useUnifiedApi === true ? undefined : binanceSpotRest(exchange)
  const binance = id.startsWith("binance")
  const tap = tapResponses(exchange)
  recogniseDuplicateOrders(ccxt, exchange)
  const secrets = options.secrets ?? []
  const pace = typeof exchange.rateLimit === "number" && exchange.rateLimit > 0 ? exchange.rateLimit : 100
  const override = options.rateLimit === false ? undefined : options.rateLimit
  const budget = yield* makeRateBudget(
    options.rateLimit === false
      ? {}
      : binance
      ? { weight: { limit: Math.floor(60_000 / pace), windowMs: 60_000 }, ...override }
      : { weight: { limit: 10, windowMs: 10 * pace }, ...override }
  )
  let authenticated = false
  let advertised = false

  const weights = id === "binanceus" ? BINANCEUS_WEIGHT : binance ? BINANCE_WEIGHT : undefined
  const weightOf = (kind: RequestKind) => weights?.[kind] ?? 1

  /**
   * Feeds the budget what the response said (usage headers, advertised limits). Runs
   * when the call settles, in the same synchronous step. Gives the debug line to
   * write when the exchange's advertised limits were just adopted.
   */
  const afterResponse = (now: number): string | undefined => {
    const seen = tap.drain()
    if (options.rateLimit === false) return undefined
    let note: string | undefined
    if (seen.rateLimits !== undefined && !advertised) {
      advertised = true
      const limits = { ...widen(limitsFromBinance(seen.rateLimits)), ...override }
      budget.configureUnsafe(limits)
      note = `${id}: request budget ${limits.weight?.limit ?? "-"} weight per ${limits.weight?.windowMs ?? "-"} ms, ` +
        `${limits.orders?.limit ?? "-"} orders per ${limits.orders?.windowMs ?? "-"} ms`
    }
    budget.observeUnsafe({ weight: seen.weightUsed, orders: seen.ordersUsed }, now)
    return note
  }

  /**
   * The failure `error` (thrown or rejected on the way to or from the exchange) stands
   * for: classified, with the response's own status and headers (not ccxt's
   * last_response_headers, which a concurrent request may have overwritten), its
   * `Retry-After` applied to the budget. A bug in classifying it is a defect.
   */
  const failureOf = (req: Request, clock: Clock.Clock, error: unknown): Effect.Effect<never, VenueError> => {
    try {
      const e = classify(error, { ccxt, context: req, authenticated, http: tap.httpInfo(error), secrets })
      if (e._tag === "ExchangeError" && e.retryAfterMs !== undefined) {
        budget.pauseUnsafe(e.retryAfterMs, clock.currentTimeMillisUnsafe())
      }
      return Effect.fail(e)
    } catch (bug) {
      return Effect.die(bug)
    }
  }

  /**
   * One request, once: budget, log line, call, classification, budget feedback. It is
   * every live operation's hot path, so the bookkeeping after the call is synchronous,
   * in the step that settles it (clock and log level read once from the fiber), and
   * with debug off no log line is built.
   */
  const attempt = <A, B = A>(
    req: Request,
    f: (ex: CcxtExchange) => Promise<A>,
    decode: (raw: A) => Result.Result<B, ExchangeError> = Result.succeed as (raw: A) => Result.Result<B, ExchangeError>
  ): Effect.Effect<B, VenueError> =>
    Effect.withFiber((fiber) => {
      const clock = fiber.getRef(Clock.Clock)
      let note: string | undefined
      // One callback per outcome, settled in the step the answer arrives in: the budget
      // feedback, the authentication flag and the decoding, with no promise of our own.
      // Anything that throws on the way (a bug in ccxt's call or in decoding) is a
      // failure like any other, so the fiber is always resumed.
      const call = Effect.callback<B, VenueError>((resume) => {
        let pending: Promise<A>
        try {
          pending = f(exchange)
        } catch (error) {
          return resume(failureOf(req, clock, error))
        }
        pending.then(
          (raw) => {
            let settled: Effect.Effect<B, VenueError>
            try {
              note = afterResponse(clock.currentTimeMillisUnsafe())
              if (PRIVATE_REQUESTS.has(req.kind)) authenticated = true
              settled = Effect.fromResult(decode(raw))
            } catch (error) {
              settled = failureOf(req, clock, error)
            }
            resume(settled)
          },
          (error: unknown) => {
            let settled: Effect.Effect<B, VenueError>
            try {
              note = afterResponse(clock.currentTimeMillisUnsafe())
              settled = failureOf(req, clock, error)
            } catch (bug) {
              settled = failureOf(req, clock, bug)
            }
            resume(settled)
          }
        )
      })
      const sent = debugOn(fiber)
        ? Effect.logDebug(`${id}: ${req.describe()}`).pipe(
          Effect.andThen(call),
          Effect.onExit(() => (note === undefined ? Effect.void : Effect.logDebug(note))),
          Effect.tapError((e) => Effect.logDebug(`${id}: ${req.describe()} failed: ${e._tag} ${e.reason}`))
        )
        : call
      // A request that fits the budget spends it here, in this step; otherwise it waits its turn.
      const weight = weightOf(req.kind)
      const orders = req.kind === "submit" ? 1 : 0
      return budget.tryTakeUnsafe(weight, orders, clock.currentTimeMillisUnsafe())
        ? sent
        : Effect.andThen(budget.take(weight, orders), sent)
    })

  /** Resyncs ccxt's clock offset with the exchange's (`loadTimeDifference`). */
  const resync = (req: ErrorContextFields) =>
    attempt({ ...req, kind: "time", describe: () => "GET server time to resync the clock after a timestamp rejection" }, (ex) => {
      ex.options["adjustForTimeDifference"] = true
      return ex.loadTimeDifference()
    })

  /**
   * A line's annotations for a request. The engine annotates its own lines; the
   * venue's few warnings carry theirs, as they may be written outside the engine's.
   */
  const annotationsOf = (req: ErrorContextFields) => ({
    symbol: req.symbol,
    venue: id,
    ...(req.orderId === undefined ? {} : { orderId: req.orderId }),
    ...(req.clientOrderId === undefined ? {} : { clientOrderId: req.clientOrderId })
  })

  /** The bridge: every ccxt call goes through here, its answer decoded in the same step. */
  const use = <A, B = A>(
    req: Request,
    f: (ex: CcxtExchange) => Promise<A>,
    decode?: (raw: A) => Result.Result<B, ExchangeError>
  ): Effect.Effect<B, VenueError> =>
    attempt(req, f, decode).pipe(
      Effect.catchIf(
        (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "InvalidNonce",
        (e) =>
          Effect.logWarning(`${id}: request timestamp rejected (${e.detail}); resyncing the clock and retrying once`).pipe(
            Effect.annotateLogs(annotationsOf(req)),
            Effect.andThen(resync(req)),
            Effect.andThen(attempt(req, f, decode))
          )
      )
    )

  const ctx = (operation: string, symbol: string, extra: Partial<ErrorContextFields> = {}): DecodeContext => ({
    operation,
    symbol,
    exchange: id,
    ...(extra.orderId === undefined ? {} : { orderId: extra.orderId }),
    ...(extra.clientOrderId === undefined ? {} : { clientOrderId: extra.clientOrderId })
  })

  // ---- markets -------------------------------------------------------------

  const rules = new Map<string, MarketRules>()
  /** Each decoded market's id on the wire (`HBARUSDT`), for the REST endpoints. */
  const wire = new Map<string, WireMarket>()
  let loaded = false
  const marketLock = yield* Semaphore.make(1)

  /** Loads (or reloads) ccxt's markets; `symbol` is the market the caller needs, for error context. */
  const loadMarkets = (op: string, symbol: string, reload: boolean) =>
    marketLock.withPermits(1)(
      Effect.suspend(() =>
        loaded && !reload
          ? Effect.void
          : use(
            { operation: op, symbol, kind: "markets", describe: () => `GET exchangeInfo (${reload ? "reload" : "load"} markets)` },
            (ex) => ex.loadMarkets(reload)
          ).pipe(Effect.andThen(Effect.sync(() => {
            rules.clear()
            wire.clear()
            loaded = true
          })))
      )
    )

  const market = (op: string, symbol: string): Effect.Effect<MarketRules, VenueError | ValidationError> => {
    const known = rules.get(symbol)
    return known !== undefined ? Effect.succeed(known) : decodeMarketOf(op, symbol)
  }

  const decodeMarketOf = (op: string, symbol: string): Effect.Effect<MarketRules, VenueError | ValidationError> =>
    Effect.andThen(loadMarkets(op, symbol, false), (): Effect.Effect<MarketRules, VenueError | ValidationError> => {
      const cached = rules.get(symbol)
      if (cached !== undefined) return Effect.succeed(cached)
      const raw: unknown = exchange.markets?.[symbol]
      if (raw === undefined) {
        return Effect.fail(
          new ValidationError({ operation: op, symbol, rule: "UnknownMarket", field: "symbol", value: symbol })
        )
      }
      return Effect.fromResult(decodeMarket(raw, ctx(op, symbol), { precisionMode: exchange.precisionMode })).pipe(
        Effect.tap((r) =>
          Effect.sync(() => {
            rules.set(symbol, r)
            const marketId = (raw as { readonly id?: unknown }).id
            if (typeof marketId === "string") wire.set(symbol, { symbol, id: marketId })
          })
        )
      )
    })

  /**
   * `f` over the symbol's market as the REST endpoints name it. A symbol the exchange
   * does not list fails as ccxt's unified methods do (`MarketClosed`).
   */
  const onWire = <A>(op: string, symbol: string, f: (m: WireMarket) => Effect.Effect<A, VenueError>) => {
    const known = wire.get(symbol)
    if (known !== undefined) return f(known)
    return Effect.flatMap(
      market(op, symbol).pipe(
        Effect.catchTag("ValidationError", () =>
          Effect.fail(
            new ExchangeError({ operation: op, symbol, reason: "MarketClosed", detail: `${symbol} is not listed on ${id}` })
          ))
      ),
      (): Effect.Effect<A, VenueError> => {
        const m = wire.get(symbol)
        return m !== undefined
          ? f(m)
          : Effect.fail(new ExchangeError({ operation: op, symbol, reason: "Unknown", detail: `${id} gave ${symbol} no market id` }))
      }
    )
  }

  /** Rules for decoding an order's amounts; decoding still works (noise removed only) without them. */
  const rulesFor = (symbol: string) => rules.get(symbol)

  /** Decodes a list of orders; entries orderops cannot represent are set aside for `reportSkipped`. */
  const orderList = (op: string, symbol: string) => (raw: unknown) => decodeOrders(raw, rulesFor(symbol), ctx(op, symbol))

  /** Warns about each order a list held that orderops cannot represent, and gives the rest. */
  const reportSkipped = (op: string, symbol: string) => ({ orders, skipped }: DecodedOrders) =>
    skipped.length === 0
      ? Effect.succeed(orders)
      : Effect.as(
        Effect.forEach(
          skipped,
          (e) =>
            Effect.logWarning(`${id}: ignoring an order orderops cannot represent: ${e.detail}`).pipe(
              Effect.annotateLogs(annotationsOf({ operation: op, symbol, orderId: e.orderId }))
            ),
          { discard: true }
        ),
        orders
      )

  /** Decodes one order, snapped to the symbol's rules when they are known. */
  const oneOrder = (op: string, symbol: string, ids: Partial<ErrorContextFields>, rules = rulesFor(symbol)) => (raw: unknown) =>
    decodeOrder(raw, rules, ctx(op, symbol, ids))

  const isNotFound = (e: VenueError): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "OrderNotFound"

  // ---- orders --------------------------------------------------------------
  //
  // Each request has two forms: Binance spot's REST endpoint with its own decoder
  // (when `rest` is set), or ccxt's unified method with `decode.ts`'s.

  /** One order by client order id on Binance (`origClientOrderId`), `None` when the exchange has none. */
  const binanceLookup = (op: string, symbol: string, clientOrderId: string) => {
    const req: Request = {
      operation: op,
      symbol,
      clientOrderId,
      kind: "fetchOrder",
      describe: () => `GET order by client order id ${clientOrderId} on ${symbol}`
    }
    const found = rest !== undefined
      ? onWire(op, symbol, (m) =>
        use(
          req,
          () => rest.privateGetOrder({ symbol: m.id, origClientOrderId: clientOrderId }),
          (raw) => decodeBinanceOrder(raw, m, ctx(op, symbol, { clientOrderId }))
        ))
      : use(req, (ex) => ex.fetchOrder("", symbol, { origClientOrderId: clientOrderId }), oneOrder(op, symbol, { clientOrderId }))
    return found.pipe(
      Effect.map(Option.some),
      Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<OrderRecord>()))
    )
  }

  const findByClientId = (op: string, symbol: string, clientOrderId: string) =>
    binance
      ? binanceLookup(op, symbol, clientOrderId)
      : Effect.gen(function*() {
        // No look-up by client id in ccxt's unified API: scan open, then recent orders.
        const open = yield* openOrders(op, symbol)
        const hit = open.find((o) => o.clientOrderId === clientOrderId)
        if (hit !== undefined) return Option.some(hit)
        if (!exchange.has["fetchOrders"]) return Option.none<OrderRecord>()
        const all = yield* orders(op, symbol)
        return Option.fromNullishOr(all.find((o) => o.clientOrderId === clientOrderId))
      })

  /** Some exchanges leave an order's client order id out of their answers: it is the one sent. */
  const withClientId = (order: SubmitOrder) => (record: OrderRecord): OrderRecord =>
    record.clientOrderId === "" ? { ...record, clientOrderId: order.clientOrderId } : record

  /** Sends `order`, whose amounts `r`'s grid already holds. */
  const submitWith = (op: string, order: SubmitOrder, r: MarketRules): Effect.Effect<OrderRecord, VenueError> => {
    const context = ctx(op, order.symbol, { clientOrderId: order.clientOrderId })
    const fill = withClientId(order)
    const req: Request = { ...context, kind: "submit", describe: () => `POST order: ${describeOrder(order)}` }
    // `r` came from `market`, which records the market's wire id with its rules.
    const m = wire.get(order.symbol)
    const sent = rest !== undefined && m !== undefined
      ? use(req, () => rest.privatePostOrder(orderParams(order, m.id)), (raw) => Result.map(decodeBinanceOrder(raw, m, context), fill))
      : use(
        req,
        (ex) =>
          // Amounts go as the exact decimal strings: ccxt's amountToPrecision /
          // priceToPrecision work on strings without passing through floats, and an
          // already-snapped value comes out unchanged (test/live.test.ts checks the wire).
          ex.createOrder(
            order.symbol,
            order.type,
            order.side,
            D.format(order.quantity) as unknown as number,
            (Option.isSome(order.price) ? D.format(order.price.value) : undefined) as unknown as number | undefined,
            { clientOrderId: order.clientOrderId }
          ),
        (raw) => Result.map(decodeOrder(raw, r, context), fill)
      )
    return sent.pipe(
      // A client order id that is still open: an earlier attempt got through, so that order is the answer.
      Effect.catchIf(
        (e): e is ExchangeError => e._tag === "ExchangeError" && e.reason === "DuplicateClientOrderId",
        (e) =>
          Effect.flatMap(findByClientId(op, order.symbol, order.clientOrderId), (found) =>
            Option.match(found, { onNone: () => Effect.fail(e), onSome: (o) => Effect.succeed(fill(o)) }))
      )
    )
  }

  const submit = (op: string, order: SubmitOrder): Effect.Effect<OrderRecord, VenueError> => {
    const known = rules.get(order.symbol)
    return known !== undefined
      ? submitWith(op, order, known)
      : Effect.flatMap(
        // The engine validated the order against these very rules: a failure here is a bug.
        market(op, order.symbol).pipe(Effect.catchTag("ValidationError", (e) => Effect.die(e))),
        (r) => submitWith(op, order, r)
      )
  }

  /** A request for one order by exchange id: `GET order` (`fetchOrder`) or `DELETE order` (`cancel`). */
  const byOrderId = (op: string, symbol: string, orderId: string, kind: "fetchOrder" | "cancel") => {
    const req: Request = {
      operation: op,
      symbol,
      orderId,
      kind,
      describe: () => `${kind === "cancel" ? "DELETE" : "GET"} order ${orderId} on ${symbol}`
    }
    return rest !== undefined
      ? onWire(op, symbol, (m) =>
        use(
          req,
          () =>
            kind === "cancel"
              ? rest.privateDeleteOrder({ symbol: m.id, orderId })
              : rest.privateGetOrder({ symbol: m.id, orderId }),
          (raw) => decodeBinanceOrder(raw, m, ctx(op, symbol, { orderId }))
        ))
      : use(
        req,
        (ex) => (kind === "cancel" ? ex.cancelOrder(orderId, symbol) : ex.fetchOrder(orderId, symbol)),
        oneOrder(op, symbol, { orderId })
      )
  }

  /** A request that answers with a list of the symbol's orders, decoded, with unrepresentable ones reported. */
  const listOf = (
    req: Request,
    onRest: (r: NonNullable<typeof rest>, m: WireMarket) => Promise<unknown>,
    unified: (ex: CcxtExchange) => Promise<unknown>
  ): Effect.Effect<ReadonlyArray<OrderRecord>, VenueError> => {
    const list = rest !== undefined
      ? onWire(
        req.operation,
        req.symbol,
        (m) => use(req, () => onRest(rest, m), (raw) => decodeBinanceOrders(raw, m, ctx(req.operation, req.symbol)))
      )
      : use(req, unified, orderList(req.operation, req.symbol))
    return Effect.flatMap(list, reportSkipped(req.operation, req.symbol))
  }

  const openOrders = (op: string, symbol: string) =>
    listOf(
      { operation: op, symbol, kind: "openOrders", describe: () => `GET openOrders on ${symbol}` },
      (r, m) => r.privateGetOpenOrders({ symbol: m.id }),
      (ex) => ex.fetchOpenOrders(symbol)
    )

  const orders = (op: string, symbol: string, since?: number, until?: number) => {
    // Binance refuses windows over 24 h; wider ones fetch the most recent orders and filter here.
    const window = since !== undefined && until !== undefined && until - since > DAY_MS ? {} : { since, until }
    return listOf(
      {
        operation: op,
        symbol,
        kind: "orders",
        describe: () => `GET allOrders on ${symbol}${since === undefined ? "" : ` from ${since}`}${
          until === undefined ? "" : ` to ${until}`
        }`
      },
      (r, m) =>
        r.privateGetAllOrders({
          symbol: m.id,
          limit: 1000,
          ...(window.since === undefined ? {} : { startTime: window.since }),
          ...(window.until === undefined ? {} : { endTime: window.until })
        }),
      (ex) => ex.fetchOrders(symbol, window.since, 1000, window.until === undefined ? {} : { until: window.until })
    ).pipe(
      Effect.map((list) =>
        list.filter((o) => (since === undefined || o.timestamp >= since) && (until === undefined || o.timestamp <= until))
      )
    )
  }

  const service: VenueService = {
    id,
    market,
    refreshMarkets: (op) => loadMarkets(op, "*", true),
    referencePrice: (op, symbol) =>
      use(
        { operation: op, symbol, kind: "ticker", describe: () => `GET ticker of ${symbol} (reference price)` },
        (ex) => ex.fetchTicker(symbol),
        (raw) => decodeLastPrice(raw, rulesFor(symbol)?.tickSize, ctx(op, symbol))
      ),
    submit,
    lookup: findByClientId,
    fetchOrder: (op, symbol, orderId) => byOrderId(op, symbol, orderId, "fetchOrder"),
    cancel: (op, symbol, orderId) => byOrderId(op, symbol, orderId, "cancel"),
    cancelAll: rest !== undefined || exchange.has["cancelAllOrders"]
      ? Option.some((op: string, symbol: string) =>
        listOf(
          { operation: op, symbol, kind: "cancelAll", describe: () => `DELETE openOrders on ${symbol} (cancel all)` },
          (r, m) => r.privateDeleteOpenOrders({ symbol: m.id }),
          (ex) => ex.cancelAllOrders(symbol)
        ).pipe(
          // Binance answers -2011 "Unknown order sent." when nothing is open.
          Effect.catchIf(isNotFound, () => Effect.succeed<ReadonlyArray<OrderRecord>>([]))
        )
      )
      : Option.none(),
    openOrders,
    orders,
    balances: (op) => {
      const req: Request = { operation: op, symbol: "", kind: "balances", describe: () => "GET account (balances)" }
      return rest !== undefined
        ? use(req, () => rest.privateGetAccount({}), (raw) => decodeBinanceBalances(raw, ctx(op, "")))
        : use(req, (ex) => ex.fetchBalance(), (raw) => decodeBalances(raw, ctx(op, "")))
    }
  }
  return service
})

/**
 * Loads ccxt (lazily: this is the only `import("ccxt")`), builds the instance and
 * the venue over it. Nothing is requested until the first operation.
 */
export const makeCcxtVenue = (options: CcxtVenueOptions) =>
  Effect.gen(function*() {
    const ccxt: CcxtModule = yield* loadCcxt
    const apiKey = redacted(options.apiKey)
    const secret = redacted(options.secret)
    const exchange = yield* makeInstance(ccxt, {
      exchange: options.exchange ?? "binanceus",
      apiKey,
      secret,
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs
    })
    return yield* fromExchange(ccxt, exchange, {
      rateLimit: options.rateLimit,
      useUnifiedApi: options.useUnifiedApi,
      secrets: [Redacted.value(apiKey), Redacted.value(secret)]
    })
  })
