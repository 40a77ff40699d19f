/**
 * Reads: orders, balances and the market's rules. Every read is retried, and every
 * order it shows is applied to the active orders: a final status settles a tracked
 * order, and a tracked order missing from the open orders is looked up and settled.
 */
import { BigDecimal, Effect } from "effect"
import * as D from "../../services/Decimal.ts"
import type { OrderRecord } from "../../services/OrderRecord.ts"
import type { VenueFailure } from "../../services/Venue.ts"
import { type Engine, observeAll, operation, read } from "./Engine.ts"

export interface ReadsNeeds {
  /** Settles tracked orders the exchange's open orders no longer list (see `Reconciliation.ts`). */
  readonly settleMissing: (
    op: string,
    tracked: ReadonlyMap<string, OrderRecord>,
    open: ReadonlyArray<OrderRecord>
  ) => Effect.Effect<void, VenueFailure>
  /** The market's base and quote assets. */
  readonly base: string
  readonly quote: string
}

export const makeReads = (engine: Engine, needs: ReadsNeeds) => {
  const { active, feed, symbol, venue } = engine

  const fetchOrder = (orderId: string) =>
    operation(engine, "fetchOrder", Effect.tap(read(engine, venue.fetchOrder("fetchOrder", symbol, orderId)), feed.observe))

  const fetchAllOrders = (startTime?: number, endTime?: number) =>
    operation(
      engine,
      "fetchAllOrders",
      Effect.gen(function*() {
        const orders = yield* read(engine, venue.orders("fetchAllOrders", symbol, startTime, endTime))
        yield* observeAll(engine, orders)
        return orders
      })
    )

  /**
   * The exchange's open orders, applied to the `Ref`: each tracked order missing from
   * the list has left it (filled or cancelled on the exchange), so its final state is
   * looked up by id, journaled, and the order dropped.
   */
  const fetchOpenOrders = () =>
    operation(
      engine,
      "fetchOpenOrders",
      Effect.flatMap(active.snapshot, (tracked) =>
        read(engine, venue.openOrders("fetchOpenOrders", symbol)).pipe(
          Effect.tap((open) => observeAll(engine, open)),
          Effect.tap((open) => needs.settleMissing("fetchOpenOrders", tracked, open))
        ))
    )

  const freeBalance = (op: string, asset: string) =>
    operation(engine, op, Effect.map(read(engine, venue.balances(op)), (balances) => BigDecimal.normalize(balances.get(asset)?.free ?? D.ZERO)))

  return {
    fetchOrder,
    fetchAllOrders,
    fetchOpenOrders,
    getQuoteBalance: () => freeBalance("getQuoteBalance", needs.quote),
    getBaseAssetBalance: (baseAsset?: string) => freeBalance("getBaseAssetBalance", baseAsset ?? needs.base),
    marketRules: operation(engine, "marketRules", venue.market("marketRules", symbol))
  }
}
