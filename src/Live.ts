/**
 * Live trading, as a namespace: `Live.layer(options)` with keys given in code,
 * `Live.layerConfig(overrides?)` from the `ORDEROPS_*` environment. The exchange
 * library is loaded only when a live layer is built.
 */
export { LiveExchangeLayer as layer, LiveExchangeLayerConfig as layerConfig, type LiveOptions as Options } from "./layers/live/Live.ts"
