/**
 * The dry run as `orderops watch` sees it. Other `orderops` processes change the
 * paper exchange through the journal's paper store (`buy` places an order,
 * `price --set` fills the orders it crosses), but a dry-run layer reads that store
 * once, when it starts, and then keeps its book in memory: a watcher built on it
 * would never see another process's change. So the watcher's venue reads the store
 * on every request instead, and has no event source of its own: the order engine
 * polls it (every `PAPER_WATCH_POLL`) and publishes what changed, as it does for a
 * live exchange without a stream.
 *
 * It never trades. The watcher places and cancels nothing, and a write from its
 * in-memory book would overwrite the other processes' rows, so every request that
 * would change the book is refused.
 */
import { Effect, Layer, Option } from "effect"
import { ExchangeError } from "../errors/ExchangeError.ts"
import type { ExchangeFailure } from "../errors/index.ts"
import { DRY_RUN_VENUE_ID, DryRunVenueLayer } from "../layers/dryrun/DryRun.ts"
import { makeExchange } from "../layers/engine/OrderEngine.ts"
import { ActiveOrders } from "../services/ActiveOrders.ts"
import { Exchange } from "../services/Exchange.ts"
import type { MarketRulesInput } from "../services/MarketRules.ts"
import { OrderJournal } from "../services/OrderJournal.ts"
import type { PaperStoreService } from "../services/PaperStore.ts"
import { Venue, type VenueService } from "../services/Venue.ts"
import { journalLayer, PAPER_START } from "./environment.ts"

/** How often the watcher reads the paper store: the store is a local file, so often. */
export const PAPER_WATCH_POLL = "1 second"

const refused = (op: string, symbol: string) =>
  Effect.fail(new ExchangeError({ operation: op, symbol, reason: "BadRequest", detail: "orderops watch only reads the paper exchange" }))

/** `venue` (the dry run's) with every read taken from `store` as it is now, and every change refused. */
export const readingStore = (venue: VenueService, store: PaperStoreService): VenueService => ({
  ...venue,
  referencePrice: (_op, s) => Effect.map(store.load, (book) => Option.fromNullishOr(book.prices.get(s))),
  openOrders: (_op, s) => Effect.map(store.load, (book) => book.open.map((o) => o.record).filter((o) => o.symbol === s)),
  lookup: (_op, _s, clientOrderId) => store.byClientOrderId(clientOrderId),
  fetchOrder: (op, s, orderId) =>
    Effect.flatMap(store.order(orderId), (found) =>
      Option.isSome(found) && found.value.symbol === s
        ? Effect.succeed(found.value)
        : Effect.fail(new ExchangeError({ operation: op, symbol: s, orderId, reason: "OrderNotFound", detail: "Order does not exist." }))),
  orders: (_op, s, since, until) => store.orders(s, since, until),
  trades: (_op, s, since, until) => store.trades(s, { since, until }),
  balances: () => Effect.map(store.load, (book) => book.balances),
  submit: (op, order) => refused(op, order.symbol),
  cancel: (op, s) => refused(op, s),
  cancelAll: Option.none(),
  oco: Option.none(),
  updates: Option.none(),
  knownBalances: Effect.succeed(Option.none())
})

/** The `Exchange` a dry-run `orderops watch` runs against: the engine over `readingStore`, polling the journal's store. */
export const paperWatchLayer = (symbol: string, markets: Record<string, MarketRulesInput>): Layer.Layer<Exchange, ExchangeFailure> => {
  const venue = Layer.effect(
    Venue,
    Effect.gen(function*() {
      return readingStore(yield* Venue, (yield* OrderJournal).paper)
    })
  ).pipe(Layer.provide(DryRunVenueLayer({ symbol, markets, balances: { ...PAPER_START } })))
  return Layer.effect(Exchange, makeExchange({ symbol, events: { pollInterval: PAPER_WATCH_POLL } })).pipe(
    Layer.provide(venue),
    Layer.provide(ActiveOrders.layerFor(DRY_RUN_VENUE_ID).pipe(Layer.provideMerge(journalLayer)))
  )
}
