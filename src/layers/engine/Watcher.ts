/**
 * Keeps the active orders and the order events following the exchange with no call
 * from the bot. Two fibers, for the engine's lifetime:
 * - the source: the venue's event source (`venue.updates`: a user data stream, ccxt's
 *   `watchOrders`, the dry run's simulator), each order view handed to the feed, and a
 *   REST reconciliation after every (re)connect and every gap, so that what happened
 *   while it was away is not lost;
 * - the poller: the same reconciliation every `pollInterval` (default 5 s) while the
 *   source is not connected or there is none, and every `safetyPollInterval` (default
 *   2 min) while it is; and, for fills that wait for their trades, at once and every
 *   `TRADE_READ_EVERY` (1 s) until the exchange lists them or `tradeWait` runs out.
 * The state (`connected`, `reconnecting`, `polling`) is logged once per change;
 * `connected` is set once the reconciliation after the connect is applied.
 * A reconciliation that fails is logged and tried again at the next poll.
 */
import { Cause, Duration, Effect, Option, Queue, Ref, type Scope, Stream } from "effect"
import type { ExchangeFailure } from "../../errors/index.ts"
import type { EventSourceState } from "../../services/OrderEvent.ts"
import type { VenueUpdate } from "../../services/Venue.ts"
import { type Engine, marketAnnotations } from "./Engine.ts"

export interface WatchOptions {
  /** How often to reconcile by REST while the event source is not connected (or there is none). Default 5 s. */
  readonly pollInterval?: Duration.Input | undefined
  /** How often to reconcile by REST while it is connected, as a safety net. Default 2 min. */
  readonly safetyPollInterval?: Duration.Input | undefined
  /** Use the venue's event source (its stream) where it has one. `false`: poll only. Default true. */
  readonly stream?: boolean | undefined
  /**
   * How long a fill waits for the exchange to list its trade (a REST view showed the fill,
   * `myTrades` not yet) before it is published without one (`trade: none`, with a WARN).
   * Default 10 s.
   */
  readonly tradeWait?: Duration.Input | undefined
}

/** How often the trades of fills that wait for them are read again. */
const TRADE_READ_EVERY = Duration.seconds(1)

const SOURCE_STATES = { connected: "connected", reconnecting: "reconnecting", down: "polling" } as const

const describeState = (state: EventSourceState, hasSource: boolean): string => {
  switch (state) {
    case "connected":
      return "order events: the exchange's stream is connected"
    case "reconnecting":
      return "order events: the exchange's stream is reconnecting; polling by REST meanwhile"
    default:
      return hasSource ? "order events: the exchange's stream is down; polling by REST" : "order events: polling by REST"
  }
}

/**
 * Starts the watcher in the current scope. `reconcile` is the REST pass (open orders,
 * tracked orders that left them, trades of waiting fills). Gives the state.
 */
export const startWatcher = (
  engine: Engine,
  reconcile: (op: string) => Effect.Effect<unknown, ExchangeFailure>,
  options: WatchOptions = {}
): Effect.Effect<Effect.Effect<EventSourceState>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { feed, symbol, venue } = engine
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? "5 seconds")
    const safetyPollInterval = Duration.fromInputUnsafe(options.safetyPollInterval ?? "2 minutes")
    const source = options.stream === false ? Option.none() : venue.updates
    const hasSource = Option.isSome(source)
    const state = yield* Ref.make<EventSourceState>(hasSource ? "reconnecting" : "polling")
    const stateChanged = yield* Queue.dropping<void>(1)

    const setState = (next: EventSourceState) =>
      Effect.flatMap(Ref.getAndSet(state, next), (previous) =>
        previous === next ? Effect.void : Effect.andThen(Effect.log(describeState(next, hasSource)), Queue.offer(stateChanged, undefined)))

    const pass = (op: string, why: string) =>
      reconcile(op).pipe(
        Effect.catch((e) => Effect.logWarning(`The REST reconciliation (${why}) failed: ${e.message}; the next poll tries again`))
      )

    const settle = feed.settlePending("poll").pipe(
      Effect.catch((e) => Effect.logWarning(`Reading the trades of new fills failed: ${e.message}; tried again in 1 s while fills wait for them`))
    )

    const apply = (update: VenueUpdate) => {
      switch (update._tag) {
        case "Order":
          return feed.observe(update.order, Option.toArray(update.trade)).pipe(
            Effect.catch((e) => Effect.logWarning(`An order update could not be journaled: ${e.message}; the next poll reconciles it`))
          )
        case "Gap":
          return pass("reconcile", "events were skipped")
        case "State":
          // `connected` shows once the reconciliation after the connect has been applied: caught up.
          return update.state === "connected"
            ? Effect.andThen(pass("reconcile", "the stream connected"), setState("connected"))
            : setState(SOURCE_STATES[update.state])
      }
    }

    const poller = Effect.forever(
      Effect.gen(function*() {
        const interval = (yield* Ref.get(state)) === "connected" ? safetyPollInterval : pollInterval
        const why = yield* Effect.raceAll([
          Effect.as(Effect.sleep(interval), "timer" as const),
          Effect.as(Queue.take(stateChanged), "state" as const),
          Effect.as(Queue.take(feed.wake), "fills" as const),
          ...(feed.waitingForTrades() ? [Effect.as(Effect.sleep(TRADE_READ_EVERY), "fills" as const)] : [])
        ])
        if (why === "timer") yield* pass("poll", "poll")
        else if (why === "fills") yield* settle
      })
    )

    const logDefect = <A, E, R>(fiber: string, self: Effect.Effect<A, E, R>) =>
      Effect.tapCause(self, (cause) =>
        Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.logError(`The order-events ${fiber} stopped: ${Cause.pretty(cause)}`))

    const annotate = Effect.annotateLogs(marketAnnotations(engine))
    if (Option.isSome(source)) {
      yield* Effect.forkScoped(annotate(logDefect("source", Stream.runForEach(source.value(symbol), apply))))
    } else {
      yield* Effect.log(describeState("polling", false)).pipe(annotate)
    }
    yield* Effect.forkScoped(annotate(logDefect("poller", poller)))
    return Ref.get(state)
  })
