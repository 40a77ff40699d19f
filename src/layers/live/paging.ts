/**
 * Every row of a time window (orders, trades), read through APIs that give one page
 * at a time: `fetchAllOrders(start, end)` and `fetchTrades(start, end)` mean all of
 * them, however long the window and however many rows, oldest first.
 *
 * Binance's rules (allOrders and myTrades alike): a `startTime`–`endTime` window spans
 * at most 24 hours, a page holds at most 1000 rows, oldest first from the window's
 * start, and `fromId` / `orderId` (never sent with a window) gives the rows from
 * that id upwards. Ids grow with time. So once one row of the range is known, the
 * rest follow by id, a page at a time, until a row lies past the end (which also
 * skips empty days); the first is found by the account's oldest rows (id 0) when that
 * can save requests, else by 24-hour windows from the start. A page that is not full
 * holds every row up to where it looked, so no request is made after it that could
 * only come back empty. ccxt's unified methods on other exchanges page by `since`.
 */
import { Effect } from "effect"

/** The most rows one page holds (Binance's limit, and the one orderops asks ccxt for). */
export const PAGE = 1000
/** Binance's longest `startTime`–`endTime` window. */
export const DAY_MS = 86_400_000

/** What paging needs of a row. */
export interface Row {
  readonly id: string
  readonly timestamp: number
}

/** One page: the rows read from it, and how many the answer listed (some may be rows orderops skips). */
export interface Page<R extends Row> {
  readonly rows: ReadonlyArray<R>
  readonly listed: number
}

/** A request for one page of a Binance list: a window of at most 24 hours, or the rows from an id upwards. */
export type BinancePage =
  | { readonly startTime: number; readonly endTime: number }
  | { readonly fromId: string }

/** A page request as a request line says it. */
export const describePage = (p: BinancePage): string =>
  "fromId" in p ? `from id ${p.fromId}` : `from ${p.startTime} to ${p.endTime}`

/**
 * A window of more than this many days first asks for the account's oldest rows: one
 * request that, when the account's history starts inside the window, is its first
 * page, and otherwise costs one request against the empty days it may skip.
 */
const PROBE_AFTER_DAYS = 2

/** The rows in `[since, until]`, each once (by id), oldest first. */
const collector = <R extends Row>(since: number | undefined, until: number) => {
  const rows: Array<R> = []
  const seen = new Set<string>()
  return {
    take: (page: ReadonlyArray<R>) => {
      for (const r of page) {
        if (r.timestamp > until || (since !== undefined && r.timestamp < since) || seen.has(r.id)) continue
        seen.add(r.id)
        rows.push(r)
      }
    },
    // A stable sort: rows of one millisecond stay in the exchange's order.
    result: (): ReadonlyArray<R> => rows.sort((a, b) => a.timestamp - b.timestamp)
  }
}

/** Every row in `[since, until]` (epoch ms; without `since`, from the first) through Binance's paging. */
export const binanceRowsIn = <R extends Row, E>(
  page: (p: BinancePage) => Effect.Effect<Page<R>, E>,
  since: number | undefined,
  until: number
): Effect.Effect<ReadonlyArray<R>, E> =>
  Effect.gen(function*() {
    const out = collector<R>(since, until)
    /** `first`, which holds every row up to `coveredTo` when not full, and the pages after it by id. */
    const onwards = function*(first: Page<R>, coveredTo: number) {
      let current = first
      let covered = coveredTo
      for (;;) {
        out.take(current.rows)
        const last = current.rows[current.rows.length - 1]
        if (last === undefined || last.timestamp > until) return
        if (current.listed < PAGE && covered >= until) return
        current = yield* page({ fromId: String(BigInt(last.id) + 1n) })
        covered = Number.POSITIVE_INFINITY // a page by id that is not full reached the newest row
      }
    }
    const days = since === undefined ? Number.POSITIVE_INFINITY : Math.ceil((until - since + 1) / DAY_MS)
    if (days > PROBE_AFTER_DAYS) {
      const oldest = yield* page({ fromId: "0" })
      const last = oldest.rows[oldest.rows.length - 1]
      // Not full: the whole history. Reaching `since`: the range starts in it.
      if (since === undefined || oldest.listed < PAGE || last === undefined || last.timestamp >= since) {
        yield* onwards(oldest, Number.POSITIVE_INFINITY)
        return out.result()
      }
    }
    for (let start = since ?? 0; start <= until; start += DAY_MS) {
      const end = Math.min(start + DAY_MS - 1, until)
      const first = yield* page({ startTime: start, endTime: end })
      if (first.rows.length > 0) {
        yield* onwards(first, end)
        break
      }
    }
    return out.result()
  })

/**
 * Every row in `[since, until]` through a ccxt unified method taking `since` (0 when
 * not given: without one ccxt asks for the most recent rows only): while a page is
 * full, the next starts at its last row's time (rows sharing that millisecond come
 * again and are dropped by id).
 */
export const sinceRowsIn = <R extends Row, E>(
  page: (since: number) => Effect.Effect<Page<R>, E>,
  since: number | undefined,
  until: number
): Effect.Effect<ReadonlyArray<R>, E> =>
  Effect.gen(function*() {
    const out = collector<R>(since, until)
    let from = since ?? 0
    for (;;) {
      const current = yield* page(from)
      out.take(current.rows)
      const last = current.rows[current.rows.length - 1]
      if (current.listed < PAGE || last === undefined || last.timestamp > until) return out.result()
      from = last.timestamp === from ? last.timestamp + 1 : last.timestamp
    }
  })
