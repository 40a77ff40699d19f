/**
 * The buffer between the user stream's socket reader and its consumer. The
 * reader must never wait for a consumer (a stalled reader stops reading the
 * socket, and Binance drops connections that do not keep up), so the buffer is
 * bounded and never blocks:
 *
 * - Up to `capacity` events wait for the consumer, in order.
 * - When it is full, new events are dropped, and one `EventsDropped` marker is
 *   queued after the last event kept (a slot is reserved for it). Once the
 *   consumer has made room, events are kept again after the marker; the number
 *   dropped is logged then.
 * - A consumer that sees `EventsDropped` must reconcile by REST, as after a
 *   reconnect: Binance never replays an event.
 * - Connection markers (`mark`) are always kept, whatever the room, in order with
 *   the events: at most one per connection. Events dropped after a marker get an
 *   `EventsDropped` of their own after it.
 *
 * `events` is for one consumer (the order engine): two runs of it would share the
 * events between them, not each get all of them.
 */
import { Effect, Queue, type Scope, Stream } from "effect"
import { UserStreamEvent } from "./UserStreamEvents.ts"

export interface EventBuffer {
  /** Keeps `event` or drops it; never waits. */
  readonly publish: (event: UserStreamEvent) => Effect.Effect<void>
  /** Keeps `marker` (a `Connected`) whatever the room; never waits. */
  readonly mark: (marker: UserStreamEvent) => Effect.Effect<void>
  readonly events: Stream.Stream<UserStreamEvent>
}

export const makeEventBuffer = (capacity: number): Effect.Effect<EventBuffer, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Unbounded: `publish` keeps the events to `capacity` (+ one EventsDropped); markers come one per connection.
    const queue = yield* Effect.acquireRelease(Queue.unbounded<UserStreamEvent>(), (q) => Queue.shutdown(q))
    let dropped = 0
    /** Offers `event`; logs how many were dropped before it, if any. */
    const keep = (event: UserStreamEvent): Effect.Effect<void> => {
      Queue.offerUnsafe(queue, event)
      if (dropped === 0) return Effect.void
      const count = dropped
      dropped = 0
      return Effect.logWarning("user stream: the consumer fell behind; events were dropped").pipe(
        Effect.annotateLogs({ dropped: count })
      )
    }
    const publish = (event: UserStreamEvent): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (Queue.sizeUnsafe(queue) < capacity) return keep(event)
        if (dropped === 0) Queue.offerUnsafe(queue, UserStreamEvent.EventsDropped())
        dropped += 1
        return Effect.void
      })
    return { publish, mark: (marker) => Effect.suspend(() => keep(marker)), events: Stream.fromQueue(queue) }
  })
