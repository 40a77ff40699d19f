/**
 * The paper exchange, as a namespace: `DryRun.layer(options?)` provides `Exchange`
 * and `DryRun.Market` (the handle that moves the simulated price). No network, and the exchange library is never loaded.
 */
export {
  DryRunExchangeLayer as layer,
  DryRunMarket as Market,
  type DryRunMarketService as MarketService,
  type DryRunOptions as Options
} from "./layers/dryrun/DryRun.ts"
