/**
 * orderops: place, track and cancel orders on crypto exchanges as Effect programs.
 * The public surface, and nothing else.
 */
export * from "./errors/index.ts"
export * from "./services/Exchange.ts"
export { type OrderRecord, OrderRecord as OrderRecordSchema, OrderSide, OrderStatus, OrderType, isFinalStatus } from "./services/OrderRecord.ts"
export { type MarketRules, type MarketRulesInput, type OrderRequest, HBAR_USDT, makeRules, validateOrder, sellableQuantity } from "./services/MarketRules.ts"
export * as Decimal from "./services/Decimal.ts"
export { ActiveOrders } from "./services/ActiveOrders.ts"
export { acceptsExchangeView, type JournalEntry, type JournalStatus, type OrderIntent, OrderJournal, type OrderJournalService } from "./services/OrderJournal.ts"
export { DEFAULT_JOURNAL_PATH, JOURNAL_ENV, JournalLayer, JournalLayerFromEnv, PgJournalLayer, type PgJournalOptions, SqliteJournalLayer } from "./layers/Journal.ts"
export { journalMigrations, makeSqlJournal, migrateJournal, MIGRATIONS_TABLE, type SqlJournalOptions } from "./layers/SqlJournal.ts"
export { type RetryOptions, type RetryPolicy, defaultRetryPolicy, isRetryable, makeRetryPolicy } from "./services/Retry.ts"
export { type Balance, type SubmitOrder, Venue, type VenueFailure, type VenueService } from "./services/Venue.ts"
export { type EngineOptions, makeExchange } from "./layers/OrderEngine.ts"
export { CLIENT_ORDER_ID_PREFIX } from "./layers/engine/ClientOrderId.ts"
export {
  CcxtVenueLayer,
  ExchangeLayerFromEnv,
  isLiveOptIn,
  LIVE_ENV,
  LiveExchangeLayer,
  LiveExchangeLayerConfig,
  LiveExchangeLayerFromEnv,
  liveOptionsFromConfig,
  type LiveOptions
} from "./layers/Live.ts"
export { type CcxtVenueOptions, fromExchange, makeCcxtVenue } from "./layers/CcxtVenue.ts"
export { DRY_RUN_STATE_KEY, DRY_RUN_VENUE_ID, DryRunExchangeLayer, DryRunMarket, DryRunVenueLayer, type DryRunMarketService, type DryRunOptions } from "./layers/DryRun.ts"
export { OrderSessionError } from "./errors/OrderSessionError.ts"
export { type CleanupReport, makeOrderSession, OrderSession, type OrderSessionOptions, type OrderSessionService, scopedOrderSession, withOrderSession } from "./services/OrderSession.ts"
