/**
 * End-to-end order events against the loopback Binance server with its user data
 * stream on: the layer, waits on the event source's state, and an event collector.
 * Shared by the live order-event test files.
 */
import { BigDecimal, Effect, Option, Schedule, type Scope, Stream } from "effect"
import { eventSource, type Exchange, type ExchangeFailure, type OrderJournal, subscribeOrderEvents } from "../../src/index.ts"
import type { LiveOptions } from "../../src/layers/live/Live.ts"
import type { EventSourceState, OrderEvent } from "../../src/services/OrderEvent.ts"
import type { BinanceServer } from "./BinanceServer.ts"
import { withLiveServer } from "./live-layer.ts"

export const EVENTS_KEYS = { apiKey: "events-key-0123456789abcdef", secret: "events-secret-FEDCBA9876543210" }

/** The live layer with the user data stream on (the fast test layer turns it off by default). */
export const withStream = <A>(
  body: (server: BinanceServer) => Effect.Effect<A, ExchangeFailure, Exchange | OrderJournal | Scope.Scope>,
  options: Partial<LiveOptions> = {}
) => Effect.scoped(withLiveServer(EVENTS_KEYS, (server) => Effect.andThen(untilConnected, body(server)), { userStream: true, ...options }))

export const untilConnected = Effect.repeat(eventSource, {
  until: (s) => s === "connected", schedule: Schedule.spaced("10 millis"), times: 500
})
export const untilSource = (state: EventSourceState) =>
  Effect.repeat(eventSource, { until: (s) => s === state, schedule: Schedule.spaced("10 millis"), times: 500 })

/** Collects every event published from now on, for the scope. */
export const collectEvents = Effect.gen(function*() {
  const events = yield* subscribeOrderEvents
  const seen: Array<OrderEvent> = []
  yield* Effect.forkScoped(Stream.runForEach(events, (e) => Effect.sync(() => void seen.push(e))))
  return seen
})

/** Waits (real time, bounded) until `seen` satisfies `predicate`. */
export const eventually = (seen: ReadonlyArray<OrderEvent>, predicate: (seen: ReadonlyArray<OrderEvent>) => boolean) =>
  Effect.repeat(Effect.sync(() => predicate(seen)), { until: (ok) => ok, schedule: Schedule.spaced("10 millis"), times: 500 }).pipe(
    Effect.andThen((ok) => (ok ? Effect.void : Effect.die(new Error(`not seen: ${describeEvents(seen).join(", ")}`))))
  )

export const describeEvents = (events: ReadonlyArray<OrderEvent>) =>
  events.map((e) => `${e._tag} ${BigDecimal.format(e.order.filled)}${"trade" in e ? Option.match(e.trade, { onNone: () => " no trade", onSome: (t) => ` trade ${t.id} ${BigDecimal.format(t.quantity)}` }) : ""}`)
