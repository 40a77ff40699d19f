/**
 * A venue's event source from ccxt's `watchOrders` (ccxt pro), for exchanges whose
 * ccxt class has it (`has.watchOrders`): the `updates` of `VenueService`.
 *
 * Life cycle of `updates(symbol)`, for as long as the stream is consumed:
 * - Connect: the exchange's private stream is subscribed, then `State connected`
 *   (the engine reconciles by REST then). On Binance the subscription is the
 *   WebSocket API's `userDataStream.subscribe.signature`, confirmed by its answer
 *   (ccxt's `authenticate`); elsewhere ccxt gives no confirmation, so `connected`
 *   waits for the first order update (until then the engine keeps polling).
 * - Then every order ccxt reports, decoded (`WatchDecode.ts`). The next
 *   `watchOrders` call is made in the same tick as the answer to the last one, so
 *   no event falls between two calls.
 * - The end of a connection that worked (subscribed, and it delivered an update or
 *   stayed up `HEALTHY_AFTER`, 1 s): `State reconnecting`, and the next connection
 *   at once, so a flapping network costs one reconnect per drop, not a growing delay.
 * - A failed attempt (a refused subscription, a connection dead at once): `State
 *   reconnecting` at the first, then reconnects after 1 s, doubling to 30 s, each
 *   delay jittered by ±20 %; `State down` after five failures in a row, or at once
 *   for a failure reconnecting cannot mend (bad keys, no permission). It keeps
 *   trying at 30 s while down; the stream itself never fails.
 * - Interrupted: when the last `updates` stream of the venue ends, ccxt's
 *   WebSocket connections are closed (sockets, keep-alive and connect timers).
 *
 * Not on `binanceus`: ccxt 4.5.84's `binanceus.watchOrders` subscribes on
 * binance.com's WebSocket API host (`ws-api.binance.com`, inherited from `binance`),
 * which does not take a Binance.US key; Binance.US has its own listenKey stream.
 */
import { Clock, Duration, Effect, Option, Queue, Random, Result, Stream } from "effect"
import type { ExchangeError } from "../../errors/ExchangeError.ts"
import type { VenueError } from "../../errors/index.ts"
import type * as D from "../../services/Decimal.ts"
import type { MarketRules } from "../../services/MarketRules.ts"
import type { VenueUpdate } from "../../services/Venue.ts"
import { type CcxtErrors, classify } from "./classify.ts"
import type { CcxtOrderOptions } from "./decode.ts"
import type { CcxtExchange } from "./instance.ts"
import { decodeContext } from "./RawOrder.ts"
import { decodeWatchedOrder, type OrderReports, type OrderUpdate } from "./WatchDecode.ts"

/** The first reconnect delay; each next one doubles, up to `MAX_DELAY`. */
const FIRST_DELAY = Duration.seconds(1)
const MAX_DELAY = Duration.seconds(30)
/** Failures in a row after which the source says it is down. */
const DOWN_AFTER = 5
/** A subscribed connection up this long (or that delivered an update) worked: the next one comes at once. */
const HEALTHY_AFTER_MS = 1000

/** The delay before reconnect attempt `n` (1-based): 1 s, 2 s, 4 s ... 30 s, times a random 0.8–1.2. */
export const reconnectDelay = (n: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (r) => {
    const base = Math.min(Duration.toMillis(FIRST_DELAY) * 2 ** Math.min(n - 1, 30), Duration.toMillis(MAX_DELAY))
    return Duration.millis(Math.round(base * (0.8 + 0.4 * r)))
  })

/** Whether orderops can take `exchange`'s order updates from `watchOrders`. */
export const canWatchOrders = (exchange: CcxtExchange): boolean =>
  exchange.has["watchOrders"] === true && typeof exchange.watchOrders === "function" && exchange.id !== "binanceus"

export interface WatchOrdersOptions {
  readonly ccxt: CcxtErrors
  /** The symbol's rules, for snapping amounts; a failure counts as a failed connection. */
  readonly rules: (symbol: string) => Effect.Effect<MarketRules, VenueError>
  readonly orderOptions?: CcxtOrderOptions | undefined
  /** The exchange's own event inside a watched order (`WatchDecode.ts`). Default: none read. */
  readonly reports?: OrderReports | undefined
  /** Literal values scrubbed from logged messages: the API key and secret. */
  readonly secrets?: ReadonlyArray<string> | undefined
}

/** What one connection reports to its stream, in order; `Failed` is its last. */
type Signal =
  | { readonly _tag: "Subscribed" }
  | OrderUpdate
  | { readonly _tag: "Unreadable"; readonly error: ExchangeError }
  | { readonly _tag: "Failed"; readonly error: unknown }

/** The exchange's confirmed subscription, where ccxt has one (Binance's WebSocket API user stream). */
const confirmedSubscription = (exchange: CcxtExchange): (() => Promise<unknown>) | undefined => {
  const ex = exchange as unknown as { readonly ensureUserDataStreamWsSubscribeSignature?: unknown; authenticate?: () => Promise<unknown> }
  return typeof ex.ensureUserDataStreamWsSubscribeSignature === "function" && typeof ex.authenticate === "function"
    ? () => ex.authenticate!()
    : undefined
}

/**
 * The `updates` of a venue over `exchange`, when it can watch orders. One instance
 * serves every symbol; ccxt's connections close when no stream runs any more.
 */
export const makeWatchOrders = (
  exchange: CcxtExchange,
  options: WatchOrdersOptions
): Option.Option<(symbol: string) => Stream.Stream<VenueUpdate>> => {
  if (!canWatchOrders(exchange)) return Option.none()
  const subscribe = confirmedSubscription(exchange)
  let running = 0

  /** Counts a running stream; the last one to end closes ccxt's WebSocket connections. */
  const watching = Effect.acquireRelease(
    Effect.sync(() => void running++),
    () =>
      Effect.suspend(() => (--running > 0 ? Effect.void : Effect.tryPromise(() => exchange.close()))).pipe(
        Effect.timeout("5 seconds"),
        // Closing is best effort (the connection may be gone already); a failure is said, never thrown from the finalizer.
        Effect.catch((e) => Effect.logDebug(`closing ccxt's WebSocket connections failed: ${e instanceof Error ? e.message : String(e)}`))
      )
  )

  /**
   * Starts one connection, in the scope: subscribe, then `watchOrders` again and
   * again, each next call made before the answer is read (no event falls between two
   * calls), each answer decoded at once (ccxt reuses its order objects). Everything
   * goes to `signals`, ending with `Failed`. Closing the scope stops it.
   */
  const connect = (symbol: string, rules: MarketRules, signals: Queue.Queue<Signal>) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const pump = { live: true }
        const filled = new Map<string, D.Decimal>()
        const ctx = decodeContext(exchange.id, "watchOrders", symbol)
        const signal = (s: Signal) => pump.live && Queue.offerUnsafe(signals, s)
        const fail = (error: unknown) => {
          signal({ _tag: "Failed", error })
          pump.live = false
        }
        const deliver = (orders: ReadonlyArray<unknown>) => {
          for (const raw of orders) {
            const decoded = decodeWatchedOrder(raw, rules, ctx, Option.fromNullishOr(filled.get(idOf(raw))), options.reports, options.orderOptions)
            if (Result.isSuccess(decoded)) filled.set(decoded.success.order.id, decoded.success.order.filled)
            signal(Result.isSuccess(decoded) ? decoded.success : { _tag: "Unreadable", error: decoded.failure })
          }
        }
        const next = (): void => {
          exchange.watchOrders(symbol).then((orders) => {
            if (!pump.live) return
            next()
            if (subscribe === undefined && orders.length > 0) signal({ _tag: "Subscribed" })
            deliver(orders)
          }, fail)
        }
        if (subscribe === undefined) next()
        else {
          subscribe().then(() => {
            if (!pump.live) return
            signal({ _tag: "Subscribed" })
            next()
          }, fail)
          handleInternalFutures(exchange)
        }
        return pump
      }),
      (pump) => Effect.sync(() => void (pump.live = false))
    )

  const updates = (symbol: string): Stream.Stream<VenueUpdate> =>
    Stream.callback<VenueUpdate>((out) =>
      Effect.gen(function*() {
        yield* watching
        let failures = 0
        /** The current connection since its subscription, and how many updates it delivered; none before. */
        let established: { readonly at: number; updates: number } | undefined
        let state: "connected" | "reconnecting" | "down" | undefined
        const say = (next: "connected" | "reconnecting" | "down") =>
          Effect.suspend(() => {
            if (state === next) return Effect.void
            state = next
            // The engine's watcher logs the transition for the user; this line is the source's own.
            return Effect.andThen(Effect.logDebug(`${exchange.id}: order updates ${next}`), Queue.offer(out, { _tag: "State", state: next }))
          })
        /** ccxt's failure, classified by its class as every request's is. */
        const classified = (error: unknown): VenueError =>
          classify(error, { ccxt: options.ccxt, context: { operation: "watchOrders", symbol }, authenticated: false, secrets: options.secrets })
        /** One connection, relayed until it fails. */
        const session = Effect.gen(function*() {
          established = undefined
          const rules = yield* options.rules(symbol)
          const signals = yield* Queue.unbounded<Signal>()
          yield* connect(symbol, rules, signals)
          for (;;) {
            const signal = yield* Queue.take(signals)
            switch (signal._tag) {
              case "Subscribed":
                failures = 0
                established = { at: yield* Clock.currentTimeMillis, updates: 0 }
                yield* say("connected")
                break
              case "Order":
                if (established !== undefined) established.updates++
                yield* Queue.offer(out, signal)
                break
              case "Unreadable":
                yield* Effect.logWarning(`${exchange.id}: ignoring an order update orderops cannot read: ${signal.error.detail}`)
                break
              case "Failed":
                return yield* Effect.fail(classified(signal.error))
            }
          }
        }).pipe(Effect.scoped)
        /** Whether the connection that just ended worked (see the header). */
        const worked = Effect.map(Clock.currentTimeMillis, (now) =>
          established !== undefined && (established.updates > 0 || now - established.at >= HEALTHY_AFTER_MS))
        const afterFailure = (error: VenueError) =>
          Effect.gen(function*() {
            if (yield* worked) {
              // A flapping network: reconnect at once; only attempts that fail back off.
              yield* Effect.logDebug(`${exchange.id}: order updates ended (${error._tag} ${error.reason}: ${error.detail}); reconnecting at once`)
              return yield* say("reconnecting")
            }
            failures++
            const mendable = error._tag === "NetworkError"
            // The first failure of an outage says why at warning level; the retries after it, at debug level.
            const line = `${exchange.id}: order updates failed (attempt ${failures}): ${error._tag} ${error.reason}: ${error.detail}`
            yield* (failures === 1 ? Effect.logWarning(line) : Effect.logDebug(line))
            yield* say(!mendable || failures >= DOWN_AFTER ? "down" : "reconnecting")
            yield* Effect.sleep(yield* reconnectDelay(mendable ? failures : Number.MAX_SAFE_INTEGER))
          })
        return yield* Effect.forever(Effect.catch(session, afterFailure)).pipe(
          Effect.annotateLogs({ venue: exchange.id, symbol })
        )
      })
    )

  return Option.some(updates)
}

/**
 * ccxt 4.5.84's Binance subscription makes a future of its own ahead of the request
 * (`authenticate:signature:spot`, for concurrent callers) that nobody awaits; when
 * the connection fails, ccxt rejects it with the rest, and Node reports an unhandled
 * rejection (which ends a process run with the default `--unhandled-rejections=throw`).
 * The failure itself reaches the subscription's caller, so these futures are marked
 * handled as soon as they exist (right after the subscription starts).
 */
const handleInternalFutures = (exchange: CcxtExchange): void => {
  const clients: Readonly<Record<string, { readonly futures?: Readonly<Record<string, unknown>> }>> = exchange.clients ?? {}
  for (const client of Object.values(clients)) {
    for (const future of Object.values(client.futures ?? {})) {
      if (future instanceof Promise) future.catch(() => undefined)
    }
  }
}

/** The order id of one of ccxt's orders, for the fill bookkeeping. */
const idOf = (raw: unknown): string => {
  const id = typeof raw === "object" && raw !== null ? (raw as { readonly id?: unknown }).id : undefined
  return typeof id === "string" ? id : ""
}
