/**
 * orderops: place, track and cancel orders on crypto exchanges as Effect programs.
 * The public surface, and nothing else. The building blocks (the `Venue` port, the
 * order engine, the venues) are on the `orderops/venue` subpath (`src/venue.ts`).
 */
import * as DryRunLayers from "./layers/dryrun/DryRun.ts"
import * as JournalLayers from "./layers/journal/Journal.ts"
import * as LiveLayers from "./layers/live/Live.ts"

export * from "./errors/index.ts"
export { OrderSessionError } from "./errors/OrderSessionError.ts"
export * from "./services/Exchange.ts"
export { type Fees, type OrderRecord, OrderRecord as OrderRecordSchema, OrderSide, OrderStatus, OrderType } from "./services/OrderRecord.ts"
export { HBAR_USDT, makeRules, type MarketRules, type MarketRulesInput, type OrderRequest, sellableQuantity, validateOrder } from "./services/MarketRules.ts"
export * as Decimal from "./services/Decimal.ts"
export {
  type EventSourceState,
  isFill,
  OrderEvent,
  type OrderEventTag
} from "./services/OrderEvent.ts"
export type { EngineOptions, EventOptions } from "./layers/engine/OrderEngine.ts"
export { type Trade, Trade as TradeSchema, totalsOf, type TradeTotals } from "./services/Trade.ts"
export { type JournalEntry, type JournalStatus, type OrderIntent, OrderJournal, type OrderJournalService } from "./services/OrderJournal.ts"
export { defaultRetryPolicy, makeRetryPolicy, type RetryOptions, type RetryPolicy } from "./services/Retry.ts"
export * as LogFormat from "./services/LogFormat.ts"
export {
  type CleanupReport,
  makeOrderSession,
  OrderSession,
  type OrderSessionOptions,
  type OrderSessionService,
  scopedOrderSession,
  withOrderSession
} from "./services/OrderSession.ts"

// ---- layers ----------------------------------------------------------------------

export * as DryRun from "./DryRun.ts"
export * as Journal from "./Journal.ts"
export * as Live from "./Live.ts"
export { DryRunMarket, type DryRunMarketService, type DryRunOptions } from "./layers/dryrun/DryRun.ts"
export { ExchangeLayerFromEnv, type LiveOptions } from "./layers/live/Live.ts"

/**
 * The two exchange layers the design names, first-class beside `Live.layer` and
 * `DryRun.layer` (the same functions): `LiveExchangeLayer(options)` trades on the
 * exchange, `DryRunExchangeLayer(options?)` on the paper one. Either provides `Exchange`.
 */
export const LiveExchangeLayer = LiveLayers.LiveExchangeLayer
export const DryRunExchangeLayer = DryRunLayers.DryRunExchangeLayer

// ---- the names before the namespaces, kept for one release --------------------------

/** @deprecated Use `Live.layerConfig`. */
export const LiveExchangeLayerConfig = LiveLayers.LiveExchangeLayerConfig
/** @deprecated Use `Journal.layerSqlite`. */
export const SqliteJournalLayer = JournalLayers.SqliteJournalLayer
/** @deprecated Use `Journal.layerPg`. */
export const PgJournalLayer = JournalLayers.PgJournalLayer
/** @deprecated Use `Journal.layer`. */
export const JournalLayer = JournalLayers.JournalLayer
/** @deprecated Use `Journal.layerFromEnv`. */
export const JournalLayerFromEnv = JournalLayers.JournalLayerFromEnv
