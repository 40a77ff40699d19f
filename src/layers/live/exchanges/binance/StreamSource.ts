/**
 * The live venue's event source on Binance and Binance.US spot: `venue.updates`
 * and `venue.knownBalances` over the user data stream (issue #15).
 *
 * Each run of `updates(symbol)` starts one `UserStream` (its own listenKey session
 * and socket, on Node's global WebSocket) for as long as it is consumed, and gives:
 * - `State reconnecting` at the start and whenever the connection is lost,
 *   `State down` once reconnecting keeps failing (the engine polls meanwhile), and
 *   `State connected` at each connection's marker, before that connection's events
 *   (the engine reconciles by REST on it);
 * - an `Order` update per `executionReport` of the symbol's market (other markets'
 *   are skipped; one that cannot be represented is logged and skipped);
 * - `Gap` when the stream dropped events because the consumer fell behind.
 * Balance events feed the balance book (`StreamBalances.ts`), seeded by one REST
 * read per connection (and after a gap). `knownBalances` gives the book while the
 * last run's connection is up and seeded, and none otherwise.
 *
 * The venue's own orders move balances too, and the stream reports that around
 * the request's answer (a buy that filled at once, then a sell of what it bought:
 * the sell must not be judged on the balance before the fill). So while such a
 * request (`ownChange`) is in flight, the balances are not known (the exchange
 * judges, and balance reads use REST); after its answer, they are known once the
 * stream has reported what it did (OwnChanges.ts). A balance read that comes first
 * waits for that, up to `WAIT_MS`, then reads by REST; a create's funds pre-check
 * does not wait (the exchange judges).
 *
 * On binance.com the listenKey endpoints are retired (see UserStream.ts): `create`
 * fails there, the stream goes `down`, and the engine polls.
 */
import { Effect, Option, Result, type Scope, Stream } from "effect"
import { isFinalStatus, type OrderRecord } from "../../../../services/OrderRecord.ts"
import * as Socket from "effect/socket/Socket"
import type { ValidationError } from "../../../../errors/ValidationError.ts"
import type { VenueError } from "../../../../errors/index.ts"
import type { Balance, VenueUpdate } from "../../../../services/Venue.ts"
import { makeOwnChanges } from "./OwnChanges.ts"
import { type BalanceBook, makeBalanceBook } from "./StreamBalances.ts"
import { orderUpdateOf, stateOf, type StreamMarket } from "./StreamUpdates.ts"
import { type ListenKeys, make, type STREAM_BASES, type UserStreamState } from "./UserStream.ts"
import type { UserStreamEvent } from "./UserStreamEvents.ts"

export interface UserStreamSourceOptions {
  readonly exchange: keyof typeof STREAM_BASES
  /** Replaces the exchange's stream host (`ws://127.0.0.1:PORT`, a testnet's). */
  readonly streamBase?: string | undefined
  readonly listenKeys: ListenKeys<VenueError>
  /** The symbol's market as the stream names it. */
  readonly market: (symbol: string) => Effect.Effect<StreamMarket, VenueError | ValidationError>
  /** One REST read of the account's balances: the seed of each connection. */
  readonly restBalances: Effect.Effect<ReadonlyMap<string, Balance>, VenueError>
}

export interface UserStreamSource {
  readonly updates: (symbol: string) => Stream.Stream<VenueUpdate>
  /** The book's balances when they cover the bot's own changes now; none otherwise (the create's pre-check then leaves it to the exchange). */
  readonly knownBalances: Effect.Effect<Option.Option<ReadonlyMap<string, Balance>>>
  /** The same for a balance read, which would otherwise send a request: waits for the stream up to `WAIT_MS` first. */
  readonly awaitBalances: Effect.Effect<Option.Option<ReadonlyMap<string, Balance>>>
  /**
   * `self`, a request of the venue's that may move balances (a create, a cancel);
   * `ordersOf` its answer's orders, as it left them (undefined when it cannot say).
   */
  readonly ownChange: <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordersOf: (answer: A) => ReadonlyArray<OrderRecord> | undefined
  ) => Effect.Effect<A, E, R>
}

/** How long a balance read waits for the stream to report the bot's own answered change before it reads by REST. */
const WAIT_MS = 200

/** The final statuses of Binance's execution reports: the order will not change again. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(["FILLED", "CANCELED", "REJECTED", "EXPIRED", "EXPIRED_IN_MATCH"])

/** The running stream `knownBalances` reads. */
interface Run {
  readonly state: Effect.Effect<UserStreamState>
  readonly book: BalanceBook
}

const state = (s: "connected" | "reconnecting" | "down"): VenueUpdate => ({ _tag: "State", state: s })

export const makeUserStreamSource = (options: UserStreamSourceOptions): UserStreamSource => {
  /** The latest run; a run that ends clears it unless a later one took its place. */
  let current: Run | undefined
  const own = makeOwnChanges()
  /** Reads waiting for the stream to cover the bot's own changes; woken by each balance event. */
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of waiters) w()
  }

  const now = Effect.clockWith((clock) => Effect.sync(() => clock.currentTimeMillisUnsafe()))
  /** Resolves at the next balance event (some), or none after `WAIT_MS`. */
  const nextEvent = Effect.callback<void>((resume) => {
    const done = () => {
      waiters.delete(done)
      resume(Effect.void)
    }
    waiters.add(done)
    return Effect.sync(() => void waiters.delete(done))
  }).pipe(Effect.timeoutOption(WAIT_MS))

  const fromBook = Effect.suspend(() => {
    const run = current
    if (run === undefined) return Effect.succeed(Option.none<ReadonlyMap<string, Balance>>())
    return Effect.map(run.state, (s) => (s._tag === "Connected" ? run.book.known(s.since) : Option.none()))
  })

  const knownBalances = Effect.flatMap(now, (at) => (own.covered(at) ? fromBook : Effect.succeed(Option.none())))

  /** The book's balances, once it covers the bot's own changes: waits for the stream up to `WAIT_MS`, else none. */
  const awaitBalances: Effect.Effect<Option.Option<ReadonlyMap<string, Balance>>> = Effect.gen(function*() {
    const deadline = (yield* now) + WAIT_MS
    while (true) {
      const at = yield* now
      if (own.covered(at)) return yield* fromBook
      if (!own.awaitingStream() || at >= deadline || current === undefined) return Option.none()
      if (Option.isNone(yield* nextEvent)) return Option.none()
    }
  })

  const ownChange = <A, E, R>(
    self: Effect.Effect<A, E, R>,
    ordersOf: (answer: A) => ReadonlyArray<OrderRecord> | undefined
  ): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => own.sent()),
      () => self,
      (_, exit) =>
        Effect.map(now, (at) => {
          const orders = exit._tag === "Success" ? ordersOf(exit.value) : undefined
          own.answered(orders?.map((o) => ({ id: o.id, filled: o.filled, final: isFinalStatus(o.status) })), at)
        })
    )

  /** Forks, in `scope`, the seed of `book` for the restart that gave `ticket`; a failed read leaves balances to REST until the next. */
  const seed = (scope: Scope.Scope, book: BalanceBook, ticket: number) =>
    Effect.forkIn(
      options.restBalances.pipe(
        Effect.tap((snapshot) => Effect.sync(() => book.seed(snapshot, ticket))),
        Effect.catch((e) =>
          Effect.logWarning("user stream: the balance read after connecting failed; balance reads use REST").pipe(
            Effect.annotateLogs({ reason: `${e._tag} ${e.reason}` })
          )
        )
      ),
      scope
    )

  const run = (symbol: string) =>
    Effect.gen(function*() {
      const market = yield* options.market(symbol)
      const stream = yield* make({
        exchange: options.exchange,
        ...(options.streamBase === undefined ? {} : { streamBase: options.streamBase }),
        listenKeys: options.listenKeys
      })
      const book = makeBalanceBook()
      const self: Run = { state: stream.state, book }
      current = self
      yield* Effect.addFinalizer(() => Effect.sync(() => current === self ? current = undefined : undefined))
      const scope = yield* Effect.scope
      let since = 0

      const handle = (event: UserStreamEvent): Effect.Effect<ReadonlyArray<VenueUpdate>> => {
        switch (event._tag) {
          case "Connected":
            since = event.since
            own.restart()
            return Effect.as(seed(scope, book, book.restart(since)), [state("connected")])
          case "EventsDropped":
            own.restart()
            return Effect.as(seed(scope, book, book.restart(since)), [{ _tag: "Gap" }])
          case "AccountPosition":
          case "BalanceUpdate":
            return Effect.sync(() => {
              book.apply(event)
              if (event._tag === "AccountPosition") own.position(event.updateTime)
              wake()
              return []
            })
          case "ListStatus": // the legs' own reports carry each order's list id and state
            return Effect.succeed([])
          case "ExecutionReport":
            own.report(event.orderId, event.transactionTime, event.filled, FINAL_STATUSES.has(event.status))
            return Option.match(orderUpdateOf(event, market, options.exchange), {
              onNone: () => Effect.succeed([]),
              onSome: (decoded) =>
                Result.isSuccess(decoded) ? Effect.succeed([decoded.success]) : Effect.as(
                  Effect.logWarning(`user stream: skipping a report orderops cannot represent: ${decoded.failure.detail}`).pipe(
                    Effect.annotateLogs({ symbol, orderId: event.orderId })
                  ),
                  []
                )
            })
        }
      }

      // `connected` comes from the markers, in order with the events; the state stream gives the rest,
      // unless the stream has connected again since (its marker then says so).
      const states = stream.stateChanges.pipe(
        Stream.map(stateOf),
        Stream.changes,
        Stream.filter((s) => s !== "connected"),
        Stream.mapEffect((s) => Effect.map(stream.state, (now) => (now._tag === "Connected" ? [] : [state(s)]))),
        Stream.flattenIterable
      )
      const events = stream.events.pipe(Stream.mapEffect(handle), Stream.flattenIterable)
      return Stream.merge(states, events)
    })

  const updates = (symbol: string): Stream.Stream<VenueUpdate> =>
    Stream.unwrap(
      run(symbol).pipe(
        Effect.provide(Socket.layerWebSocketConstructorGlobal),
        Effect.annotateLogs({ component: "UserStream", symbol }),
        Effect.catch((e) =>
          // The engine loaded this market at start-up: failing now is unexpected; it polls.
          Effect.as(
            Effect.logError("user stream: cannot start; the engine polls by REST").pipe(Effect.annotateLogs({ error: e._tag, detail: e.message })),
            Stream.concat(Stream.make(state("down")), Stream.never)
          )
        )
      )
    )

  return { updates, knownBalances, awaitBalances, ownChange }
}
