/**
 * The account's free and locked balances, kept from the user data stream so that
 * balance reads need no request while the stream is up (issue #15).
 *
 * The stream sends only changes (`outboundAccountPosition`: the new free and locked
 * amounts of the assets an operation moved; `balanceUpdate`: a deposit's or
 * withdrawal's delta), so each connection starts from one REST read of the account
 * (the seed). Events are consumed in order, each connection's after its `Connected`
 * marker; the book follows them so:
 *
 * - `Connected` (or `EventsDropped`): what was known may be stale; nothing is known
 *   until the seed, which the caller starts then.
 * - Until the seed arrives, positions are kept aside. Then the seed is applied and
 *   the positions kept aside on top of it, in order: each is the asset's amount at
 *   its time and all later changes of this connection follow it, so the book ends
 *   at the newest amounts whether the REST read saw a change or not. Deltas kept
 *   aside are not replayed (the REST read may already count them, and Binance
 *   follows each with a position carrying the new amount).
 * - After the seed, positions set an asset's amounts, deltas move its free amount.
 *
 * `known(since)` gives the balances only when the book was seeded for the
 * connection opened at `since`, so a reconnection never shows the last one's.
 */
import { type BigDecimal, Option } from "effect"
import * as D from "../../../../services/Decimal.ts"
import type { Balance } from "../../../../services/Venue.ts"
import { exact } from "./StreamUpdates.ts"
import type { StreamBalance } from "./UserStreamEvents.ts"

/** A balance change the stream reports. */
export type BalanceChange =
  | { readonly _tag: "AccountPosition"; readonly balances: ReadonlyArray<StreamBalance> }
  | { readonly _tag: "BalanceUpdate"; readonly asset: string; readonly delta: BigDecimal.BigDecimal }

export interface BalanceBook {
  /**
   * The connection opened at `since` starts, or events of it were dropped: nothing is
   * known until `seed` with the ticket this gives.
   */
  restart(since: number): number
  /** The REST read made after the `restart` that gave `ticket`; ignored after a later restart. */
  seed(snapshot: ReadonlyMap<string, Balance>, ticket: number): void
  apply(change: BalanceChange): void
  /** The balances, when seeded for the connection opened at `since`. */
  known(since: number): Option.Option<ReadonlyMap<string, Balance>>
}

const setPositions = (into: Map<string, Balance>, balances: ReadonlyArray<StreamBalance>): void => {
  for (const b of balances) into.set(b.asset, { free: exact(b.free), used: exact(b.locked) })
}

export const makeBalanceBook = (): BalanceBook => {
  /** The connection the book follows, and its balances once seeded. */
  let since: number | undefined
  let ticket = 0
  let balances: ReadonlyMap<string, Balance> | undefined
  let pending: Array<ReadonlyArray<StreamBalance>> = []

  return {
    restart: (at) => {
      since = at
      balances = undefined
      pending = []
      return ++ticket
    },
    seed: (snapshot, forTicket) => {
      if (forTicket !== ticket) return // a seed for an earlier restart, arriving late
      const next = new Map(snapshot)
      for (const positions of pending) setPositions(next, positions)
      pending = []
      balances = next
    },
    apply: (change) => {
      if (balances === undefined) {
        if (change._tag === "AccountPosition") pending.push(change.balances)
        return
      }
      // A new map each time: a caller holding the last one keeps what it read.
      const next = new Map(balances)
      if (change._tag === "AccountPosition") setPositions(next, change.balances)
      else {
        const was = next.get(change.asset) ?? { free: D.ZERO, used: D.ZERO }
        next.set(change.asset, { free: exact(D.add(was.free, change.delta)), used: was.used })
      }
      balances = next
    },
    known: (at) => (at === since && balances !== undefined ? Option.some(balances) : Option.none())
  }
}
