/**
 * Binance's user data stream over a listenKey: the order, balance and list events
 * of one account, as they happen, for the order engine (issue #15) to apply.
 *
 * Why orderops has its own client (checked against ccxt 4.5.84,
 * node_modules/ccxt/js/src/pro/binanceus.js and pro/binance.js): `binanceus`
 * only overrides `urls.api.ws.spot` (`wss://stream.binance.us:9443/ws`); the
 * deep merge with binance's describe keeps `urls.api.ws['ws-api'].spot` =
 * `wss://ws-api.binance.com:443/ws-api/v3`. `watchOrders` (and `watchBalance`)
 * on a spot market call `authenticate`, whose spot branch runs
 * `ensureUserDataStreamWsSubscribeSignature('spot')`: a signed
 * `userDataStream.subscribe.signature` request on that binance.com endpoint, and
 * the orders are then read from that connection. No listenKey is created: the
 * listenKey path (`publicPostUserDataStream`, then `getPrivateWsUrl`) serves only
 * the other account types (futures, delivery, options, portfolio margin, stock).
 * So a Binance.US key is sent to binance.com, which does not know it. Binance.US's
 * own WebSocket API (`wss://ws-api.binance.us:443/ws-api/v3`) documents no
 * `subscribe.signature`: its user data comes only from listenKey streams on
 * `stream.binance.us`. Hence this client.
 *
 * On binance.com the reverse holds: its spot docs (binance-spot-api-docs
 * CHANGELOG, 2026-01-21) retired `POST/PUT/DELETE /api/v3/userDataStream` on
 * 2026-02-20, and on the spot testnet on 2026-02-04. There the port's `create`
 * fails, this stream stays `Down`, and ccxt's WebSocket-API `watchOrders` is the
 * path that works. The `binance` host below is the one the listenKey stream used.
 *
 * Life cycle: get a listenKey through the given port (`POST` returns the
 * account's active key or a new one, so every connection starts with one), keep
 * it alive every 30 minutes, connect to `<streamBase>/ws/<listenKey>`, run
 * `onConnected` after every connection (a hook; the live venue reads the
 * `Connected` marker instead, in order with the events: StreamSource.ts), and
 * reconnect. A connection that worked (it delivered a frame, or stayed up
 * `healthyAfter`, 1 s) is followed at once by the next, however it ended (a drop,
 * `listenKeyExpired`, the 24-hour limit): a flapping network costs one connect
 * per drop, not a growing delay. Only failed attempts back off (jittered,
 * exponential): no key, a refused connect, or a connection that died at once
 * without a frame.
 * Its state changes are debug lines with their reason: the engine logs the
 * source's state once per change.
 * Closing the stream's scope stops its connection and keepalive, and nothing
 * else: the listenKey is never deleted. Binance gives an account one listenKey at a
 * time (`POST` returns the active one), so every layer and process trading on the
 * account shares it; a `DELETE` would end the others' connections too. Without its
 * keepalive the key lapses 60 minutes after its last one, unless another user keeps it.
 * Events go through a bounded buffer that never blocks the reader
 * (UserStreamBuffer.ts), each connection's preceded by a `Connected` marker (so a
 * consumer knows, in order, where one connection's events start). The listenKey
 * never reaches a log.
 */
import { Cause, Clock, Data, Duration, Effect, Random, type Scope, type Stream, SubscriptionRef } from "effect"
import * as Socket from "effect/socket/Socket"
import { type EventBuffer, makeEventBuffer } from "./UserStreamBuffer.ts"
import { decodeFrame, UserStreamEvent } from "./UserStreamEvents.ts"

/** The listenKey endpoints, as Effects: the live layer implements them through its ccxt bridge. */
export interface ListenKeys<E> {
  /** `POST /api/v3/userDataStream`: the account's active key (extended by 60 minutes) or a new one. */
  readonly create: Effect.Effect<string, E>
  /** `PUT`: extends the key by 60 minutes. (No `DELETE`: the key is the account's, shared; see the header.) */
  readonly keepAlive: (listenKey: string) => Effect.Effect<void, E>
}

/** Why a connection ended, or why there is none yet. */
export type EndReason =
  | "Starting"
  | "ListenKeyUnavailable"
  | "ConnectFailed"
  | "Dropped"
  | "KeepAliveFailed"
  | "ListenKeyExpired"
  | "ConnectionAgeLimit"
  /** A defect (a bug, or a port that died instead of failing): logged as an error, then retried like a failure. */
  | "Defect"

/**
 * `Reconnecting` covers the first connection too; `failures` counts the attempts
 * that failed in a row (0 after a connection that worked: the next comes at once). `Down` is `Reconnecting`
 * after `downAfter` failures: the stream still retries, at the capped delay, and
 * the engine should poll by REST meanwhile.
 */
export type UserStreamState = Data.TaggedEnum<{
  Connected: { readonly since: number }
  Reconnecting: { readonly failures: number; readonly reason: EndReason }
  Down: { readonly failures: number; readonly reason: EndReason }
}>
export const UserStreamState = Data.taggedEnum<UserStreamState>()

export const STREAM_BASES = {
  binanceus: "wss://stream.binance.us:9443",
  binance: "wss://stream.binance.com:9443"
} as const

export interface UserStreamOptions<E> {
  /** Chooses the default stream host. */
  readonly exchange: keyof typeof STREAM_BASES
  /** Replaces the stream host, e.g. `ws://127.0.0.1:PORT` for a test server or a testnet's host. */
  readonly streamBase?: string
  readonly listenKeys: ListenKeys<E>
  /**
   * Runs after every (re)connection, beside the reader (events keep flowing while
   * it runs); a failure is logged, not fatal. It is interrupted if the connection
   * ends first, and runs again after the next one.
   */
  readonly onConnected?: Effect.Effect<void, unknown>
  /** Default 30 minutes (a key lives 60 without one). */
  readonly keepAliveEvery?: Duration.Input
  /** A connection is replaced after this long; default 23 hours (Binance ends it at 24). */
  readonly rotateAfter?: Duration.Input
  /** Reconnect delays: `base` doubling per failure in a row, capped; each scaled by 0.8–1.2. Default 1 s, 30 s. */
  readonly backoff?: { readonly base?: Duration.Input; readonly cap?: Duration.Input }
  /**
   * A connection that delivered a frame, or lasted this long, worked: its end is
   * followed by the next connection at once, with the backoff reset. Default 1 second.
   */
  readonly healthyAfter?: Duration.Input
  /** Failures in a row after which the state is `Down`; default 3. */
  readonly downAfter?: number
  /** Events waiting for the consumer before new ones are dropped; default 4096. */
  readonly bufferCapacity?: number
  /** Default 10 seconds. */
  readonly openTimeout?: Duration.Input
}

export interface UserStream {
  readonly state: Effect.Effect<UserStreamState>
  /** The current state, then every change. */
  readonly stateChanges: Stream.Stream<UserStreamState>
  /**
   * Decoded events, in the order Binance sent them, each connection's after its
   * `Connected` marker; for one consumer (see UserStreamBuffer.ts).
   */
  readonly events: Stream.Stream<UserStreamEvent>
}

class SessionEnded extends Data.TaggedError("SessionEnded")<{
  readonly reason: EndReason
  /** How long the connection was up; undefined when it never was. */
  readonly connectedMs: number | undefined
  /** How many frames it delivered. */
  readonly frames: number
  readonly cause: unknown
}> {}

/** One established connection, as its loops see it. */
interface Established {
  readonly connectedAt: number
  frames: number
}

/** What every part of one running stream shares. */
interface StreamSetup<E> {
  readonly url: (listenKey: string) => string
  readonly listenKeys: ListenKeys<E>
  readonly onConnected: Effect.Effect<void, unknown>
  readonly keepAliveEvery: Duration.Duration
  readonly rotateAfter: Duration.Duration
  readonly base: Duration.Duration
  readonly cap: Duration.Duration
  readonly healthyAfterMs: number
  readonly downAfter: number
  readonly openTimeout: Duration.Duration
  readonly buffer: EventBuffer
  readonly state: SubscriptionRef.SubscriptionRef<UserStreamState>
  /** Every key this stream was given, scrubbed from whatever it logs. */
  readonly keysSeen: Set<string>
}

/** `text` without any listenKey: error messages may carry URLs with one. */
const scrub = <E>(ctx: StreamSetup<E>, text: string): string => {
  let out = text
  for (const key of ctx.keysSeen) out = out.split(key).join("<listenKey>")
  return out
}

const describe = <E>(ctx: StreamSetup<E>, cause: unknown): string =>
  scrub(ctx, cause instanceof Error ? cause.message : Cause.isCause(cause) ? Cause.pretty(cause) : String(cause))

/**
 * Sets the state; a debug line when its kind changes, with the reason. The engine
 * (`engine/Watcher.ts`) logs the source's state once per change at Info: these lines
 * only add why, for whoever looks at Debug.
 */
const transition = <E>(ctx: StreamSetup<E>, next: UserStreamState): Effect.Effect<void> =>
  Effect.flatMap(SubscriptionRef.getAndSet(ctx.state, next), (previous) => {
    if (previous._tag === next._tag) return Effect.void
    switch (next._tag) {
      case "Connected":
        return Effect.logDebug("user stream connected")
      case "Reconnecting":
        return Effect.logDebug("user stream reconnecting").pipe(Effect.annotateLogs({ reason: next.reason, failures: next.failures }))
      case "Down":
        return Effect.logDebug("user stream down; REST polling has to cover it").pipe(
          Effect.annotateLogs({ reason: next.reason, failures: next.failures })
        )
    }
  })

const endedAfter = (reason: EndReason, connection: Established, cause: unknown) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.fail(new SessionEnded({ reason, connectedMs: now - connection.connectedAt, frames: connection.frames, cause })))

/** Reads frames until the socket ends or the key expires; events go to the buffer at once. */
const readLoop = <E>(ctx: StreamSetup<E>, pull: Effect.Effect<ReadonlyArray<string | Uint8Array>, Socket.SocketError>, connection: Established) =>
  Effect.gen(function*() {
    const text = new TextDecoder()
    const unknownSeen = new Set<string>()
    while (true) {
      const frames = yield* pull.pipe(Effect.catch((cause) => endedAfter("Dropped", connection, cause)))
      connection.frames += frames.length
      for (const raw of frames) {
        const frame = decodeFrame(typeof raw === "string" ? raw : text.decode(raw))
        switch (frame._tag) {
          case "Event":
            yield* ctx.buffer.publish(frame.event)
            break
          case "ListenKeyExpired":
            return yield* endedAfter("ListenKeyExpired", connection, undefined)
          case "Unknown": {
            const first = !unknownSeen.has(frame.eventType)
            unknownSeen.add(frame.eventType)
            yield* (first ? Effect.logWarning : Effect.logDebug)("user stream: unknown event type skipped").pipe(
              Effect.annotateLogs({ eventType: frame.eventType })
            )
            break
          }
          case "Malformed":
            yield* Effect.logWarning("user stream: malformed event skipped").pipe(
              Effect.annotateLogs({ eventType: frame.eventType, problem: scrub(ctx, frame.message) })
            )
        }
      }
    }
  })

const keepAliveLoop = <E>(ctx: StreamSetup<E>, listenKey: string, connection: Established) =>
  Effect.gen(function*() {
    while (true) {
      yield* Effect.sleep(ctx.keepAliveEvery)
      yield* ctx.listenKeys.keepAlive(listenKey).pipe(Effect.catch((cause) => endedAfter("KeepAliveFailed", connection, cause)))
      yield* Effect.logDebug("user stream: listenKey kept alive")
    }
  })

const runOnConnected = <E>(ctx: StreamSetup<E>) =>
  ctx.onConnected.pipe(
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logWarning("user stream: onConnected failed").pipe(Effect.annotateLogs({ cause: describe(ctx, cause) }))
    )
  )

/** One connection, from its listenKey to its end; always ends with `SessionEnded`. */
const session = <E>(ctx: StreamSetup<E>): Effect.Effect<never, SessionEnded, Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const listenKey = yield* ctx.listenKeys.create.pipe(
      Effect.mapError((cause) => new SessionEnded({ reason: "ListenKeyUnavailable", connectedMs: undefined, frames: 0, cause }))
    )
    ctx.keysSeen.add(listenKey)
    const socket = yield* Socket.makeWebSocket(ctx.url(listenKey), { openTimeout: ctx.openTimeout })
    const reader = yield* socket.reader.pipe(
      Effect.mapError((cause) => new SessionEnded({ reason: "ConnectFailed", connectedMs: undefined, frames: 0, cause }))
    )
    const connectedAt = yield* Clock.currentTimeMillis
    const connection: Established = { connectedAt, frames: 0 }
    yield* transition(ctx, UserStreamState.Connected({ since: connectedAt }))
    yield* ctx.buffer.mark(UserStreamEvent.Connected({ since: connectedAt }))
    yield* Effect.forkScoped(runOnConnected(ctx))
    return yield* Effect.raceAllFirst([
      readLoop(ctx, reader.pull, connection),
      keepAliveLoop(ctx, listenKey, connection),
      Effect.sleep(ctx.rotateAfter).pipe(Effect.andThen(endedAfter("ConnectionAgeLimit", connection, undefined)))
    ])
  }).pipe(Effect.scoped)

/** Whether `end` closed a connection that worked: established, and it delivered a frame or lasted `healthyAfter`. */
const wasHealthy = <E>(ctx: StreamSetup<E>, end: SessionEnded): boolean =>
  end.connectedMs !== undefined && (end.frames > 0 || end.connectedMs >= ctx.healthyAfterMs)

/**
 * Failures in a row after `end`: none after a connection that worked, however it
 * ended (the next connects at once); one more after a failed attempt.
 */
const failuresAfter = <E>(ctx: StreamSetup<E>, end: SessionEnded, failures: number): number =>
  wasHealthy(ctx, end) ? 0 : failures + 1

/** `base × 2^(failures-1)`, capped, scaled by a random factor in [0.8, 1.2). */
const backoffDelay = <E>(ctx: StreamSetup<E>, failures: number): Effect.Effect<Duration.Duration> =>
  Effect.map(Random.next, (r) => {
    const exponential = Duration.times(ctx.base, 2 ** Math.min(failures - 1, 30))
    return Duration.times(Duration.min(exponential, ctx.cap), 0.8 + 0.4 * r)
  })

const reconnectLoop = <E>(ctx: StreamSetup<E>): Effect.Effect<never, never, Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    let failures = 0
    while (true) {
      const end = yield* Effect.flip(session(ctx).pipe(
        Effect.catchDefect((defect) =>
          Effect.logError("user stream: defect").pipe(
            Effect.annotateLogs({ cause: describe(ctx, defect) }),
            Effect.andThen(Effect.fail(new SessionEnded({ reason: "Defect", connectedMs: undefined, frames: 0, cause: defect })))
          )
        )
      ))
      failures = failuresAfter(ctx, end, failures)
      yield* Effect.logDebug("user stream: connection ended").pipe(
        Effect.annotateLogs({ reason: end.reason, cause: end.cause === undefined ? "" : describe(ctx, end.cause) })
      )
      const state = failures >= ctx.downAfter
        ? UserStreamState.Down({ failures, reason: end.reason })
        : UserStreamState.Reconnecting({ failures, reason: end.reason })
      yield* transition(ctx, state)
      if (failures > 0) yield* Effect.sleep(yield* backoffDelay(ctx, failures))
    }
  })

/**
 * Starts the stream in the current scope; closing the scope stops it and its
 * keepalive, and leaves the listenKey to lapse (other users of the account keep
 * their stream: see the header). Needs a `Socket.WebSocketConstructor`, e.g. `NodeSocket.layerWebSocketConstructor`.
 */
export const make = <E>(
  options: UserStreamOptions<E>
): Effect.Effect<UserStream, never, Scope.Scope | Socket.WebSocketConstructor> =>
  Effect.gen(function*() {
    const streamBase = (options.streamBase ?? STREAM_BASES[options.exchange]).replace(/\/+$/, "")
    const state = yield* SubscriptionRef.make<UserStreamState>(UserStreamState.Reconnecting({ failures: 0, reason: "Starting" }))
    const ctx: StreamSetup<E> = {
      url: (listenKey) => `${streamBase}/ws/${listenKey}`,
      listenKeys: options.listenKeys,
      onConnected: options.onConnected ?? Effect.void,
      keepAliveEvery: Duration.fromInputUnsafe(options.keepAliveEvery ?? "30 minutes"),
      rotateAfter: Duration.fromInputUnsafe(options.rotateAfter ?? "23 hours"),
      base: Duration.fromInputUnsafe(options.backoff?.base ?? "1 second"),
      cap: Duration.fromInputUnsafe(options.backoff?.cap ?? "30 seconds"),
      healthyAfterMs: Duration.toMillis(Duration.fromInputUnsafe(options.healthyAfter ?? "1 second")),
      downAfter: options.downAfter ?? 3,
      openTimeout: Duration.fromInputUnsafe(options.openTimeout ?? "10 seconds"),
      buffer: yield* makeEventBuffer(options.bufferCapacity ?? 4096),
      state,
      keysSeen: new Set()
    }
    yield* Effect.forkScoped(reconnectLoop(ctx).pipe(Effect.annotateLogs({ component: "UserStream", exchange: options.exchange })))
    return {
      state: SubscriptionRef.get(state),
      stateChanges: SubscriptionRef.changes(state),
      events: ctx.buffer.events
    }
  })
