/**
 * The paper exchange, as a namespace: `DryRun.layer(options?)` provides `Exchange`
 * and `DryRun.Market` (the handle that moves the simulated price). No network, and the exchange library is never loaded.
 * `DryRun.FillModel` is the seam for how its orders fill (`options.fillModel`); `DryRun.lastPriceFillModel` the default.
 */
export {
  DryRunExchangeLayer as layer,
  DryRunMarket as Market,
  type DryRunMarketService as MarketService,
  type DryRunOptions as Options
} from "./layers/dryrun/DryRun.ts"
export { lastPriceFillModel } from "./layers/dryrun/LastPriceFillModel.ts"
export type {
  BookLevel,
  FeeSchedule,
  Fill,
  FillDecision,
  FillModel,
  FillOrder,
  MarketEvent,
  MarketState
} from "./services/FillModel.ts"
