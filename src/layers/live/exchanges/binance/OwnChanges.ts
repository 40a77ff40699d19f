/**
 * Whether the stream's balance book has caught up with the bot's own orders
 * (issue #21): a balance read right after a create or a cancel answers from the
 * book, without a request, once the stream has reported what that request moved,
 * and never before.
 *
 * An own request's answer says what it did to each order (its id, status and
 * filled quantity). The stream reports the same change as the order's
 * `executionReport`, and the balances it moved as an `outboundAccountPosition`.
 * Which of the answer and the stream's events arrives first is not fixed, so both
 * are remembered:
 *
 * - each report of an order is kept (the latest per order, the last
 *   `REPORTS_KEPT` orders), with its place in the stream and its transaction time;
 * - an answered order is covered once a report of it has reached the answer's
 *   state (filled at least as much; final when the answer is final) and a position
 *   came after that report in the stream, stamped no earlier than the report's
 *   transaction time: that position's amounts include the change;
 * - a request that failed, or whose answer names orders it could not represent,
 *   states nothing to match: it is covered by the next position after it.
 *
 * While a request is in flight, or an answered one is not covered, the book is not
 * current. A change the stream never covers (its events lost with a connection)
 * stops counting after `SETTLE_MS`, as the stream's delay is bounded in practice;
 * a reconnection's seed (a REST read after the connection) covers every change
 * reported before it.
 */
import type { BigDecimal } from "effect"
import * as D from "../../../../services/Decimal.ts"

/** How long after its answer an own change may take to come through the stream. */
export const SETTLE_MS = 1000
/** Reports remembered for answers that come after them. */
const REPORTS_KEPT = 1024

/** An order as an own request's answer left it. */
export interface AnsweredOrder {
  readonly id: string
  readonly filled: BigDecimal.BigDecimal
  readonly final: boolean
}

interface Report {
  /** Its place in the stream. */
  readonly seq: number
  readonly time: number
  readonly filled: BigDecimal.BigDecimal
  readonly final: boolean
}

interface Pending {
  /** The orders to match; undefined: any position after `seq` covers it. */
  readonly orders: ReadonlyArray<AnsweredOrder> | undefined
  readonly seq: number
  readonly answeredAt: number
}

export interface OwnChanges {
  /** An own request that may move balances leaves. */
  sent(): void
  /** Its answer, at `now`: the orders as it left them, or undefined (it failed, or states nothing usable). */
  answered(orders: ReadonlyArray<AnsweredOrder> | undefined, now: number): void
  /** An `executionReport` of any order of the account, in stream order. */
  report(orderId: string, transactionTime: number, filled: BigDecimal.BigDecimal, final: boolean): void
  /** An `outboundAccountPosition` applied to the book, in stream order. */
  position(updateTime: number): void
  /** A (re)connection: its seed, read after it, covers every change reported so far. */
  restart(): void
  /** Whether every own change is covered by the book, at `now`. */
  covered(now: number): boolean
  /** Whether only answered changes wait for the stream (no request in flight): worth waiting for. */
  awaitingStream(): boolean
}

export const makeOwnChanges = (): OwnChanges => {
  let inFlight = 0
  /** Stream events so far, reports and positions, numbered in order. */
  let seq = 0
  let lastPosition = { seq: -1, time: -Infinity }
  /** Reports at or before this place are covered by a reconnection's seed. */
  let seededUpTo = -1
  const reports = new Map<string, Report>()
  let pending: Array<Pending> = []

  const orderCovered = (o: AnsweredOrder): boolean => {
    const r = reports.get(o.id)
    if (r === undefined || D.lt(r.filled, o.filled) || (o.final && !r.final)) return false
    return r.seq <= seededUpTo || (lastPosition.seq > r.seq && lastPosition.time >= r.time)
  }
  const isCovered = (p: Pending, now: number): boolean =>
    now - p.answeredAt >= SETTLE_MS ||
    (p.orders === undefined ? lastPosition.seq > p.seq || seededUpTo >= p.seq : p.orders.every(orderCovered))

  return {
    sent: () => void inFlight++,
    answered: (orders, now) => {
      inFlight--
      pending.push({ orders, seq, answeredAt: now })
    },
    report: (orderId, time, filled, final) => {
      reports.delete(orderId) // re-inserted last: the map's order is the age of each order's latest report
      reports.set(orderId, { seq: ++seq, time, filled, final })
      if (reports.size > REPORTS_KEPT) reports.delete(reports.keys().next().value!)
    },
    position: (time) => {
      lastPosition = { seq: ++seq, time }
    },
    restart: () => {
      seededUpTo = seq++
    },
    covered: (now) => {
      if (inFlight > 0) return false
      if (pending.length > 0) pending = pending.filter((p) => !isCovered(p, now))
      return pending.length === 0
    },
    awaitingStream: () => inFlight === 0 && pending.length > 0
  }
}
