/**
 * `DryRunExchangeLayer`: a paper exchange in memory, behind the same `Exchange`
 * service and order engine as the live layer. No network, no ccxt.
 *
 * Alongside `Exchange` it provides `DryRunMarket`, the handle tests and demos use
 * to move the simulated price: orders the new price crosses fill at once, and the
 * active-orders `Ref`, the journal and the balances follow before `setPrice` returns.
 *
 * With a durable journal (the CLI's SQLite file) the book is saved after every
 * change and a later session resumes it, balances and open orders included; the
 * `balances` and `price` options then only seed a journal that has no book yet.
 */
import { Clock, Context, Effect, type Fiber, Layer, Option, Result } from "effect"
import { ExchangeError } from "../errors/ExchangeError.ts"
import type { ExchangeFailure } from "../errors/index.ts"
import { JournalError } from "../errors/JournalError.ts"
import { ValidationError } from "../errors/ValidationError.ts"
import { ActiveOrders } from "../services/ActiveOrders.ts"
import * as D from "../services/Decimal.ts"
import { Exchange } from "../services/Exchange.ts"
import { debugOn } from "../services/LogLevels.ts"
import { HBAR_USDT, makeRules, type MarketRules, type MarketRulesInput } from "../services/MarketRules.ts"
import { OrderJournal } from "../services/OrderJournal.ts"
import type { OrderRecord } from "../services/OrderRecord.ts"
import { describeOrder, Venue, type VenueService } from "../services/Venue.ts"
import { makeSimulator, type Simulator, type SimulatorState } from "./DryRunSimulator.ts"
import { type EngineOptions, makeExchange, withDebugLogging } from "./OrderEngine.ts"

export interface DryRunOptions extends EngineOptions {
  /** The market the `Exchange` service trades. Default `HBAR/USDT`. */
  readonly symbol?: string
  /** Starting free balances by asset. Default `{ USDT: 1000 }` (and 0 of everything else). */
  readonly balances?: Record<string, number>
  /** Starting price of `symbol`. Without one, limit orders rest and market orders fail until `setPrice`. */
  readonly price?: number
  /**
   * Fee rate of a maker fill (a resting limit order that a later price crosses),
   * charged in the asset received. Default 0.001 (0.1%): see `BINANCE_US_FEES`.
   */
  readonly makerFee?: number
  /**
   * Fee rate of a taker fill (a market order, or a limit order that crosses the
   * market when placed), charged in the asset received. Default 0.001 (0.1%).
   */
  readonly takerFee?: number
  /** @deprecated Sets both `makerFee` and `takerFee` (each of which, when given, wins). */
  readonly feeRate?: number
  /** Market rules beyond the built-in HBAR/USDT, by symbol. */
  readonly markets?: Record<string, MarketRulesInput>
  /** Lowers the minimum log level to Debug: one line per simulated request. */
  readonly debug?: boolean
}

export interface DryRunMarketService {
  /** Sets the simulated price of the symbol (default: the layer's) and fills every order it crosses. */
  setPrice(price: number, symbol?: string): Effect.Effect<ReadonlyArray<OrderRecord>, ValidationError | JournalError>
  /** The current simulated price, if one is set. */
  price(symbol?: string): Effect.Effect<Option.Option<number>>
  /** Sets an asset's free balance, e.g. to fund a test. */
  setBalance(asset: string, amount: number): Effect.Effect<void, ValidationError | JournalError>
}

export class DryRunMarket extends Context.Service<DryRunMarket, DryRunMarketService>()("orderops/DryRunMarket") {}

/** The dry-run venue's id (`Venue.id`), which its journal entries carry. */
export const DRY_RUN_VENUE_ID = "dry-run"

/**
 * Binance.US's standard spot fees, the dry run's defaults: 0.1% maker and 0.1%
 * taker. These are what ccxt 4.5.84 declares for `binanceus` (`fees.trading` in
 * ccxt/js/src/binanceus.js, which points at https://www.binance.us/en/fee/schedule),
 * the base tier of that schedule, before volume tiers or BNB discounts; zero-fee
 * promotions on some pairs are not modelled. Pass your account's own rates as
 * `makerFee` and `takerFee`.
 */
export const BINANCE_US_FEES = { maker: 0.001, taker: 0.001 } as const

/** The journal key of the saved paper book. */
export const DRY_RUN_STATE_KEY = "dry-run/book"

const decimalInput = (operation: string, symbol: string, field: string, value: number) =>
  Option.match(D.fromNumber(value), {
    onNone: () => Result.fail(new ValidationError({ operation, symbol, rule: "NotFinite", field, value: String(value) })),
    onSome: (d) =>
      D.isPositive(d) || (field !== "price" && D.isZero(d))
        ? Result.succeed(d)
        : Result.fail(new ValidationError({ operation, symbol, rule: "NotPositive", field, value: D.format(d) }))
  })

/** Builds the simulator and the `Venue` and `DryRunMarket` over it. */
const makeDryRun = Effect.fnUntraced(function*(options: DryRunOptions) {
  const symbol = options.symbol ?? "HBAR/USDT"
  const journal = yield* OrderJournal
  const active = yield* ActiveOrders

  const markets = new Map<string, MarketRules>([[HBAR_USDT.symbol, HBAR_USDT]])
  for (const [s, input] of Object.entries(options.markets ?? {})) markets.set(s, makeRules(s, input))
  if (!markets.has(symbol)) {
    return yield* new ValidationError({
      operation: "DryRunExchangeLayer",
      symbol,
      rule: "UnknownMarket",
      field: "symbol",
      value: symbol,
      limit: [...markets.keys()].join(",")
    })
  }
  const quote = markets.get(symbol)!.quote
  const balances = new Map<string, D.Decimal>()
  for (const [asset, amount] of Object.entries(options.balances ?? { [quote]: 1000 })) {
    balances.set(asset, yield* Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, "balance", amount)))
  }
  const prices = new Map<string, D.Decimal>()
  if (options.price !== undefined) {
    prices.set(symbol, yield* Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, "price", options.price)))
  }
  const feeInput = (field: string, rate: number) => Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, field, rate))
  const sim: Simulator = makeSimulator({
    markets,
    balances,
    prices,
    makerFee: yield* feeInput("makerFee", options.makerFee ?? options.feeRate ?? BINANCE_US_FEES.maker),
    takerFee: yield* feeInput("takerFee", options.takerFee ?? options.feeRate ?? BINANCE_US_FEES.taker)
  })

  // Resume the saved book, if the journal keeps one.
  if (journal.durable) {
    const saved = yield* journal.loadState(DRY_RUN_STATE_KEY)
    if (Option.isSome(saved)) {
      yield* Effect.try({
        try: () => {
          const state = JSON.parse(saved.value) as SimulatorState
          if (state.version !== 1) throw new Error(`unsupported dry-run book version ${String(state.version)}`)
          sim.importState(state)
        },
        catch: (cause) =>
          new JournalError({
            operation: "loadState",
            location: journal.location,
            detail: `the saved dry-run book is unreadable: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
      })
      yield* Effect.logDebug(`Resumed the dry-run book from ${journal.location}`)
    }
  }
  const persist = journal.durable
    ? Effect.suspend(() => journal.saveState(DRY_RUN_STATE_KEY, JSON.stringify(sim.exportState())))
    : Effect.void

  const unknownMarket = (op: string, s: string) =>
    new ValidationError({ operation: op, symbol: s, rule: "UnknownMarket", field: "symbol", value: s, limit: [...markets.keys()].join(",") })

  /**
   * A simulated request: `run` reads or changes the book when the request is made, in
   * the fiber step that checks the log level. One debug line explains it first, as the
   * live venue's requests are explained; with debug off nothing is built.
   */
  const explained = <A, E>(
    describe: () => string,
    run: (fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, E>
  ): Effect.Effect<A, E> =>
    Effect.withFiber((fiber) =>
      debugOn(fiber)
        ? Effect.andThen(Effect.logDebug(`${DRY_RUN_VENUE_ID}: ${describe()}`), Effect.suspend(() => run(fiber)))
        : run(fiber)
    )

  /** A simulated request that changes the book at the fiber's clock time, then the book's persistence. */
  const mutate = <A, E>(describe: () => string, f: (now: number) => Result.Result<A, E>): Effect.Effect<A, E | JournalError> => {
    const change = explained(describe, (fiber) => Effect.fromResult(f(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe())))
    return journal.durable ? Effect.tap(change, () => persist) : change
  }

  const venue: VenueService = {
    id: DRY_RUN_VENUE_ID,
    market: (op, s) => {
      const rules = markets.get(s)
      return rules === undefined ? Effect.fail(unknownMarket(op, s)) : Effect.succeed(rules)
    },
    refreshMarkets: () => Effect.void,
    referencePrice: (_op, s) => explained(() => `price of ${s}`, () => Effect.succeed(sim.price(s))),
    submit: (op, order) => mutate(() => `submit ${describeOrder(order)}`, (now) => sim.submit(op, order, now)),
    lookup: (_op, s, clientOrderId) =>
      explained(() => `order by client order id ${clientOrderId} on ${s}`, () => Effect.succeed(sim.byClientOrderId(clientOrderId))),
    fetchOrder: (op, s, orderId) =>
      explained(
        () => `order ${orderId} on ${s}`,
        () =>
          Option.match(Option.filter(sim.order(orderId), (o) => o.symbol === s), {
            onNone: () =>
              Effect.fail(new ExchangeError({ operation: op, symbol: s, orderId, reason: "OrderNotFound", detail: "Order does not exist." })),
            onSome: Effect.succeed
          })
      ),
    cancel: (op, s, orderId) => mutate(() => `cancel order ${orderId} on ${s}`, () => sim.cancel(op, s, orderId)),
    cancelAll: Option.none(),
    openOrders: (_op, s) => explained(() => `open orders on ${s}`, () => Effect.succeed(sim.openOrders(s))),
    orders: (_op, s, since, until) =>
      explained(
        () => `orders on ${s}${since === undefined ? "" : ` from ${since}`}${until === undefined ? "" : ` to ${until}`}`,
        () => Effect.succeed(sim.orders(s, since, until))
      ),
    balances: () => explained(() => "balances", () => Effect.succeed(sim.balances()))
  }

  const market: DryRunMarketService = {
    setPrice: (price, s = symbol) =>
      Effect.gen(function*() {
        if (!markets.has(s)) return yield* unknownMarket("setPrice", s)
        const p = yield* Effect.fromResult(decimalInput("setPrice", s, "price", price))
        const filled = sim.setPrice(s, p)
        yield* persist
        for (const record of filled) {
          yield* active.observe(record)
          yield* Effect.log(`Filled ${record.type} ${record.side} order: ${s} at ${record.price} for ${record.quantity}`).pipe(
            Effect.annotateLogs({ symbol: s, orderId: record.id, clientOrderId: record.clientOrderId })
          )
        }
        return filled
      }),
    price: (s = symbol) => Effect.sync(() => Option.map(sim.price(s), D.toNumber)),
    setBalance: (asset, amount) =>
      Effect.fromResult(decimalInput("setBalance", symbol, "balance", amount)).pipe(
        Effect.map((d) => sim.setBalance(asset, d)),
        Effect.andThen(persist)
      )
  }
  return { venue, market, sim }
})


/**
 * The paper exchange's `Venue` and `DryRunMarket`, over the `ActiveOrders`
 * (`ActiveOrders.layerFor(DRY_RUN_VENUE_ID)`) and `OrderJournal` in context. `DryRunExchangeLayer` puts the order engine on top; use
 * this directly to wrap the venue (add latency, inject faults) under your own engine.
 */
export const DryRunVenueLayer = (
  options: DryRunOptions = {}
): Layer.Layer<Venue | DryRunMarket, ValidationError | JournalError, ActiveOrders | OrderJournal> =>
  Layer.effectContext(
    Effect.map(makeDryRun(options), ({ market, venue }) => Context.make(Venue, venue).pipe(Context.add(DryRunMarket, market)))
  )

/**
 * The paper exchange, ready to use: `Exchange` and `DryRunMarket`. Every option has a
 * default, so `DryRunExchangeLayer()` works as is. Pass `journal` to keep the book
 * and the order journal somewhere durable (the default is in memory).
 */
export const DryRunExchangeLayer = (
  options: DryRunOptions & { readonly journal?: Layer.Layer<OrderJournal, JournalError> } = {}
): Layer.Layer<Exchange | DryRunMarket, ExchangeFailure> => {
  const built = Layer.effect(Exchange, makeExchange(options)).pipe(
    Layer.provideMerge(DryRunVenueLayer(options)),
    Layer.provide(ActiveOrders.layerFor(DRY_RUN_VENUE_ID).pipe(Layer.provideMerge(options.journal ?? OrderJournal.layerMemory)))
  )
  return withDebugLogging(built, options.debug)
}
