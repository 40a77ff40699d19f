/**
 * `DryRunExchangeLayer`: a paper exchange, behind the same `Exchange` service and
 * order engine as the live layer. No network, no ccxt.
 *
 * Alongside `Exchange` it provides `DryRunMarket`, the handle tests and demos use
 * to move the simulated price: orders the new price crosses fill at once, and the
 * active-orders `Ref`, the journal and the balances follow before `setPrice` returns.
 *
 * The book lives in the journal's paper store (`OrderJournalService.paper`): every
 * change writes the rows it touched (an order, a balance, a price), under one lock
 * so that writes land in the order the changes were made. Memory holds only the
 * open orders, balances and prices; finished orders are read back from the store.
 * With a durable journal (the CLI's SQLite file) a later session resumes the book;
 * the `balances` and `price` options only seed a journal that has no book yet.
 *
 * The venue has an event source (`Venue.updates`, `Events.ts`): each change the
 * simulator makes to an order is offered to it once saved, in the order made, so the
 * engine's order events follow the simulated market as they would a real exchange's.
 */
import { Clock, Context, Effect, type Fiber, Layer, Option, Result, Semaphore } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { JournalError } from "../../errors/JournalError.ts"
import { ValidationError } from "../../errors/ValidationError.ts"
import { ActiveOrders } from "../../services/ActiveOrders.ts"
import * as D from "../../services/Decimal.ts"
import { Exchange } from "../../services/Exchange.ts"
import type { FillModel } from "../../services/FillModel.ts"
import { debugOn } from "../../services/LogLevels.ts"
import { decodeMarketSymbol, eitherId, type IdForms, NumericId, patternId } from "../../services/Inputs.ts"
import { HBAR_USDT, makeRules, type MarketRules, type MarketRulesInput } from "../../services/MarketRules.ts"
import { OrderJournal } from "../../services/OrderJournal.ts"
import { describeAmounts, type OrderRecord } from "../../services/OrderRecord.ts"
import type { PaperBook, PaperChange, PaperStoreService } from "../../services/PaperStore.ts"
import { type Balance, describeOco, describeOrder, Venue, type VenueService } from "../../services/Venue.ts"
import { type DryRunEvents, makeDryRunEvents } from "./Events.ts"
import { makeSimulator, type Simulator } from "./Simulator.ts"
import { type EngineOptions, makeExchange, withDebugLogging } from "../engine/OrderEngine.ts"

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
  /**
   * How orders fill against the market: when, at what price and quantity, as maker
   * or taker, and at what fee rate (`FillModel`). Default `lastPriceFillModel`: an
   * order meeting the last price fills at once, up to `DryRunMarket.setDepth`.
   */
  readonly fillModel?: FillModel
}

export interface DryRunMarketService {
  /** Sets the simulated price of the symbol (default: the layer's), fills every order it crosses, and gives those orders (a partly filled one still open). */
  setPrice(price: number, symbol?: string): Effect.Effect<ReadonlyArray<OrderRecord>, ValidationError | JournalError>
  /** The current simulated price, if one is set. */
  price(symbol?: string): Effect.Effect<Option.Option<number>>
  /**
   * Sets an asset's free balance, e.g. to fund a test. A decimal string or a
   * `BigDecimal` is kept exactly, whatever its digits; a number is read as JavaScript prints it.
   */
  setBalance(asset: string, amount: number | string | D.Decimal): Effect.Effect<void, ValidationError | JournalError>
  /**
   * Caps how much one fill may take on the symbol (default: the layer's), so orders
   * fill in parts, each part a trade; `undefined` lifts the cap (the default: orders
   * fill in full). A market order's part the cap leaves unfilled expires, as on Binance.
   */
  setDepth(quantity: number | undefined, symbol?: string): Effect.Effect<void, ValidationError>
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

/**
 * The key under which releases before the paper store saved the whole book as JSON
 * (in `orderops_state`). A journal holding one is migrated to rows when a dry run
 * first opens it (see `src/layers/journal/SqlPaperStore.ts`).
 */
export { LEGACY_BOOK_KEY as DRY_RUN_STATE_KEY } from "../../services/PaperStore.ts"

const decimalInput = (operation: string, symbol: string, field: string, value: number) =>
  Option.match(D.fromNumber(value), {
    onNone: () => Result.fail(new ValidationError({ operation, symbol, rule: "NotFinite", field, value: String(value) })),
    onSome: (d) =>
      D.isPositive(d) || (field !== "price" && D.isZero(d))
        ? Result.succeed(d)
        : Result.fail(new ValidationError({ operation, symbol, rule: "NotPositive", field, value: D.format(d) }))
  })

/** `decimalInput` for an amount that may also come as exact text or a `BigDecimal`, which are kept as they are. */
const exactInput = (operation: string, symbol: string, field: string, value: number | string | D.Decimal) => {
  if (typeof value === "number") return decimalInput(operation, symbol, field, value)
  return Option.match(D.fromAmount(value), {
    onNone: () => Result.fail(new ValidationError({ operation, symbol, rule: "InvalidArgument", field, value: D.describeAmount(value) })),
    onSome: (d) =>
      D.isPositive(d) || D.isZero(d)
        ? Result.succeed(d)
        : Result.fail(new ValidationError({ operation, symbol, rule: "NotPositive", field, value: D.format(d) }))
  })
}

/**
 * The book a session starts from: the journal's, if it holds one, else a fresh one
 * seeded from the options (and written, so the next session resumes it).
 */
const openBook = Effect.fnUntraced(function*(options: DryRunOptions, symbol: string, quote: string) {
  const journal = yield* OrderJournal
  const loaded = yield* journal.paper.load
  if (loaded.exists) {
    yield* Effect.logDebug(`Resumed the dry-run book from ${journal.location}: ${loaded.open.length} open orders`)
    return loaded
  }
  const balances = new Map<string, Balance>()
  for (const [asset, amount] of Object.entries(options.balances ?? { [quote]: 1000 })) {
    const free = yield* Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, "balance", amount))
    balances.set(asset, { free, used: D.ZERO })
  }
  const prices = new Map<string, D.Decimal>()
  if (options.price !== undefined) {
    prices.set(symbol, yield* Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, "price", options.price)))
  }
  const seed: PaperChange = { orders: [], balances: [...balances], prices: [...prices] }
  yield* journal.paper.write(seed, yield* Clock.currentTimeMillis)
  return { exists: true, seq: 0, balances, prices, open: [] } satisfies PaperBook
})

const unknownMarket = (markets: ReadonlyMap<string, MarketRules>, op: string, s: string) =>
  new ValidationError({ operation: op, symbol: s, rule: "UnknownMarket", field: "symbol", value: s, limit: [...markets.keys()].join(",") })

/** The markets the dry run knows: the built-in HBAR/USDT and the options' own; refuses a `symbol` among none of them. */
const loadMarkets = (options: DryRunOptions, symbol: string): Effect.Effect<ReadonlyMap<string, MarketRules>, ValidationError> => {
  const markets = new Map<string, MarketRules>([[HBAR_USDT.symbol, HBAR_USDT]])
  for (const [s, input] of Object.entries(options.markets ?? {})) markets.set(s, makeRules(s, input))
  return markets.has(symbol) ? Effect.succeed(markets) : Effect.fail(unknownMarket(markets, "DryRunExchangeLayer", symbol))
}

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

/** What the venue and the market handle share: the simulator, its store, its event source, the markets, and the one way to change the book. */
interface DryRunParts {
  readonly sim: Simulator
  readonly store: PaperStoreService
  readonly events: DryRunEvents
  readonly markets: ReadonlyMap<string, MarketRules>
  /** Changes the book at `now` (under the lock), then writes the rows the change touched and offers the changed orders to the event source. */
  readonly commit: <A, E>(now: number, f: (now: number) => Result.Result<A, E>) => Effect.Effect<A, E | JournalError>
}

/**
 * The ids the dry run takes: its own (`dry_run_<n>`, lists `dry_run_list_<n>`) and
 * those of the exchange it stands in for (Binance's numbers, which it never holds:
 * `OrderNotFound`), so that it refuses exactly what a live Binance layer refuses.
 */
const DRY_RUN_IDS: IdForms = {
  order: eitherId(NumericId, patternId(/^dry_run_[0-9]{1,19}$/, `"dry_run_" and up to 19 digits`)),
  list: eitherId(NumericId, patternId(/^dry_run_list_[0-9]{1,19}$/, `"dry_run_list_" and up to 19 digits`))
}

/** The dry run's `Venue`: every request reads or changes the simulator, and a change is written to the store before it returns. */
const makeVenue = ({ commit, events, markets, sim, store }: DryRunParts): VenueService => {
  /** A simulated request that changes the book at the fiber's clock time. */
  const mutate = <A, E>(describe: () => string, f: (now: number) => Result.Result<A, E>): Effect.Effect<A, E | JournalError> =>
    explained(describe, (fiber) => commit(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe(), f))

  const notFound = (op: string, s: string, orderId: string) =>
    new ExchangeError({ operation: op, symbol: s, orderId, reason: "OrderNotFound", detail: "Order does not exist." })

  /** An order by id on `s`: open ones from memory, finished ones from the store. */
  const findOrder = (s: string, orderId: string) =>
    Option.match(sim.openOrder(orderId), {
      onSome: (o) => Effect.succeed(Option.some(o)),
      onNone: () => store.order(orderId)
    }).pipe(Effect.map(Option.filter((o: OrderRecord) => o.symbol === s)))

  /** A cancel of an order that is not open: unknown, or known and final. */
  const refuseCancel = (op: string, s: string, orderId: string) =>
    Effect.flatMap(findOrder(s, orderId), (found) =>
      Effect.fail(Option.match(found, {
        onNone: () => new ExchangeError({ operation: op, symbol: s, orderId, reason: "OrderNotFound", detail: "Unknown order sent." }),
        onSome: (o) =>
          new ExchangeError({
            operation: op,
            symbol: s,
            orderId,
            clientOrderId: o.clientOrderId,
            reason: "OrderNotOpen",
            detail: `order is ${o.status}, not open`
          })
      })))

  return {
    id: DRY_RUN_VENUE_ID,
    ids: DRY_RUN_IDS,
    market: (op, s) => {
      const rules = markets.get(s)
      return rules === undefined ? Effect.fail(unknownMarket(markets, op, s)) : Effect.succeed(rules)
    },
    refreshMarkets: () => Effect.void,
    referencePrice: (_op, s) => explained(() => `price of ${s}`, () => Effect.succeed(sim.price(s))),
    submit: (op, order) => mutate(() => `submit ${describeOrder(order)}`, (now) => sim.submit(op, order, now)),
    lookup: (_op, s, clientOrderId) =>
      explained(() => `order by client order id ${clientOrderId} on ${s}`, () => {
        const open = sim.openByClientOrderId(clientOrderId)
        return Option.isSome(open) ? Effect.succeed(open) : store.byClientOrderId(clientOrderId)
      }),
    fetchOrder: (op, s, orderId) =>
      explained(
        () => `order ${orderId} on ${s}`,
        () => Effect.flatMap(findOrder(s, orderId), Option.match({ onNone: () => Effect.fail(notFound(op, s, orderId)), onSome: Effect.succeed }))
      ),
    cancel: (op, s, orderId) =>
      Effect.flatMap(
        mutate(() => `cancel order ${orderId} on ${s}`, () => Result.succeed(sim.cancel(s, orderId))),
        (record) => (record === undefined ? refuseCancel(op, s, orderId) : Effect.succeed(record))
      ),
    cancelAll: Option.none(),
    updates: Option.some(events.updates),
    knownBalances: Effect.succeed(Option.none()),
    openOrders: (_op, s) => explained(() => `open orders on ${s}`, () => Effect.succeed(sim.openOrders(s))),
    orders: (_op, s, since, until) =>
      explained(
        () => `orders on ${s}${since === undefined ? "" : ` from ${since}`}${until === undefined ? "" : ` to ${until}`}`,
        () => store.orders(s, since, until)
      ),
    balances: () => explained(() => "balances", () => Effect.succeed(sim.balances())),
    trades: (_op, s, since, until) =>
      explained(
        () => `trades on ${s}${since === undefined ? "" : ` from ${since}`}${until === undefined ? "" : ` to ${until}`}`,
        () => store.trades(s, { since, until })
      ),
    oco: Option.some({
      submit: (op, list) => mutate(() => `submit OCO ${describeOco(list)}`, (now) => sim.submitOco(op, list, now)),
      lookup: (_op, s, listClientOrderId) =>
        explained(() => `OCO by list client id ${listClientOrderId} on ${s}`, () => Effect.succeed(sim.listByClientId(listClientOrderId))),
      cancel: (op, s, listId) =>
        Effect.flatMap(
          mutate(() => `cancel OCO ${listId} on ${s}`, () => Result.succeed(sim.cancelList(s, listId))),
          (list) =>
            list === undefined
              ? Effect.fail(new ExchangeError({ operation: op, symbol: s, reason: "OrderNotFound", detail: `Order list ${listId} is not running.` }))
              : Effect.succeed(list)
        )
    })
  }
}

/** The `DryRunMarket` handle over the simulator; `symbol` is the layer's default market. */
const makeMarket = ({ commit, markets, sim }: DryRunParts, symbol: string, active: ActiveOrders["Service"]): DryRunMarketService => ({
  setPrice: (price, s = symbol) =>
    Effect.gen(function*() {
      if (!markets.has(s)) return yield* unknownMarket(markets, "setPrice", s)
      const p = yield* Effect.fromResult(decimalInput("setPrice", s, "price", price))
      const changed = yield* commit(yield* Clock.currentTimeMillis, (now) => Result.succeed(sim.setPrice(s, p, now)))
      for (const record of changed) {
        yield* active.observe(record)
        const what = record.status === "expired" ? "Expired (its OCO partner ended)" : record.status === "open" ? "Partly filled" : "Filled"
        yield* Effect.log(`${what} ${record.type} ${record.side} order: ${s} ${describeAmounts(record)}`).pipe(
          Effect.annotateLogs({ symbol: s, orderId: record.id, clientOrderId: record.clientOrderId })
        )
      }
      // What filled (in full or in part); an OCO partner that expired with it is observed, not returned.
      return changed.filter((o) => o.status !== "expired")
    }),
  price: (s = symbol) => Effect.sync(() => Option.map(sim.price(s), D.toNumber)),
  setDepth: (quantity, s = symbol) =>
    quantity === undefined
      ? Effect.sync(() => sim.setDepth(s, undefined))
      : Effect.map(Effect.fromResult(decimalInput("setDepth", s, "quantity", quantity)), (q) => sim.setDepth(s, q)),
  setBalance: (asset, amount) =>
    Effect.fromResult(exactInput("setBalance", symbol, "balance", amount)).pipe(
      Effect.flatMap((d) => Effect.flatMap(Clock.currentTimeMillis, (now) => commit(now, () => Result.succeed(sim.setBalance(asset, d)))))
    )
})

/** Builds the simulator and the `Venue` and `DryRunMarket` over it. */
const makeDryRun = Effect.fnUntraced(function*(options: DryRunOptions) {
  const symbol = yield* Effect.fromResult(decodeMarketSymbol("DryRunExchangeLayer", options.symbol))
  const store = (yield* OrderJournal).paper
  const active = yield* ActiveOrders
  const markets = yield* loadMarkets(options, symbol)
  const feeInput = (field: string, rate: number) => Effect.fromResult(decimalInput("DryRunExchangeLayer", symbol, field, rate))
  const makerFee = yield* feeInput("makerFee", options.makerFee ?? options.feeRate ?? BINANCE_US_FEES.maker)
  const takerFee = yield* feeInput("takerFee", options.takerFee ?? options.feeRate ?? BINANCE_US_FEES.taker)
  const book = yield* openBook(options, symbol, markets.get(symbol)!.quote)
  const sim: Simulator = makeSimulator({ markets, book, makerFee, takerFee, fillModel: options.fillModel })
  const events = yield* makeDryRunEvents()
  /**
   * Changes, their writes and their updates take turns, so the store and the event
   * source see them in the order they were made. A change whose write fails is not
   * offered: its sources get a `Gap`, and the engine reconciles with what was saved.
   */
  const lock = yield* Semaphore.make(1)
  const commit = <A, E>(now: number, f: (now: number) => Result.Result<A, E>): Effect.Effect<A, E | JournalError> =>
    lock.withPermits(1)(Effect.suspend((): Effect.Effect<A, E | JournalError> => {
      const result = f(now)
      const change = sim.takeChange()
      if (Result.isFailure(result)) return Effect.fail(result.failure)
      return store.write(change.rows, now).pipe(
        Effect.tapError(() => events.gap),
        Effect.andThen(events.publish(change.orders)),
        Effect.as(result.success)
      )
    }))
  const parts: DryRunParts = { sim, store, events, markets, commit }
  return { venue: makeVenue(parts), market: makeMarket(parts, symbol, active), sim }
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
