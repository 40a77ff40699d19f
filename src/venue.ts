/**
 * `orderops/venue`: the building blocks, for assembling an exchange layer of your
 * own. `makeExchange(options)` is the order engine (validation, client order ids,
 * journal, active orders, retries, recovery, logging) over any `Venue`, the port an
 * exchange implements in exact decimals; `DryRunVenueLayer` and `CcxtVenueLayer`
 * are the two venues orderops ships, and `ActiveOrders.layerFor(venue.id)` the `Ref`
 * the engine keeps. A venue with an event source (`updates`: a stream of order
 * views and connection states) gets order events as they happen; one without is
 * polled. Wrapping a venue (latency, faults) is how `test/engine.test.ts`
 * tests the engine.
 */
export { ActiveOrders, type ActiveOrdersService } from "./services/ActiveOrders.ts"
export {
  type Balance,
  type OcoRecord,
  type OcoVenue,
  type Operation,
  type SubmitOco,
  type SubmitOrder,
  Venue,
  type VenueFailure,
  type VenueService,
  type VenueUpdate
} from "./services/Venue.ts"
export { type EngineOptions, makeExchange } from "./layers/engine/OrderEngine.ts"
export { DRY_RUN_VENUE_ID, DryRunVenueLayer } from "./layers/dryrun/DryRun.ts"
export { CcxtVenueLayer, type CcxtVenueOptions } from "./layers/live/Live.ts"
