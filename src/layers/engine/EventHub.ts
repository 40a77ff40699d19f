/**
 * The subscribers of an engine's order events. Each has its own bounded buffer, and
 * publishing never waits: the exchange connection and the bot's own calls must not
 * stall behind a slow subscriber. A subscriber whose buffer is full when an event
 * comes has its stream failed with `OrderEventsOverflow` (after the events it already
 * holds) and is dropped, so it learns that it missed events instead of missing them
 * silently. The others go on. When the engine's layer is released, every
 * subscriber's stream ends.
 */
import { Cause, Effect, Queue, type Scope, Stream } from "effect"
import { OrderEventsOverflow } from "../../errors/OrderEventsOverflow.ts"
import type { OrderEvent } from "../../services/OrderEvent.ts"

type Subscriber = Queue.Queue<OrderEvent, OrderEventsOverflow | Cause.Done>

export interface EventHub {
  /** Hands `events` to every subscriber, in order, without waiting. */
  publish(events: ReadonlyArray<OrderEvent>): Effect.Effect<void>
  /** Subscribes now, for the scope; the stream gives what is published from then on. */
  readonly subscribe: Effect.Effect<Stream.Stream<OrderEvent, OrderEventsOverflow>, never, Scope.Scope>
  /** A new subscriber per run. */
  readonly stream: Stream.Stream<OrderEvent, OrderEventsOverflow>
  /** Whether anyone subscribes now (when no one does, events need not be derived). */
  listening(): boolean
}

/** The hub of `symbol`'s events, each subscriber buffering up to `capacity`; closed with the scope. */
export const makeEventHub = (symbol: string, capacity: number): Effect.Effect<EventHub, never, Scope.Scope> =>
  Effect.gen(function*() {
    const subscribers = new Set<Subscriber>()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const q of subscribers) Queue.endUnsafe(q)
        subscribers.clear()
      })
    )

    const publish = (events: ReadonlyArray<OrderEvent>) =>
      events.length === 0 || subscribers.size === 0 ? Effect.void : Effect.sync(() => {
        for (const q of subscribers) {
          for (const event of events) {
            if (Queue.offerUnsafe(q, event)) continue
            subscribers.delete(q)
            Queue.failCauseUnsafe(q, Cause.fail(new OrderEventsOverflow({ symbol, capacity })))
            break
          }
        }
      })

    const subscribe = Effect.map(
      Effect.acquireRelease(
        Effect.tap(Queue.bounded<OrderEvent, OrderEventsOverflow | Cause.Done>(capacity), (q) => Effect.sync(() => subscribers.add(q))),
        (q) => Effect.andThen(Effect.sync(() => subscribers.delete(q)), Queue.shutdown(q))
      ),
      (q) => Stream.fromQueue(q)
    )

    return { publish, subscribe, stream: Stream.unwrap(subscribe), listening: () => subscribers.size > 0 } satisfies EventHub
  })
