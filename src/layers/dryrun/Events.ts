/**
 * The dry run's event source (`VenueService.updates`): every change the simulator
 * makes to an order (placed, filled, partly filled, triggered, cancelled, expired
 * with its OCO partner) offered to each running source of its symbol, as the
 * exchange's user stream would send it.
 *
 * - A run of `updates(symbol)` subscribes at once and starts with
 *   `State connected` (the engine reconciles then, which covers anything before);
 *   the simulator lives in the process, so it never disconnects.
 * - `publish` is called after the change's rows are saved, under the book's lock,
 *   so every source sees the changes in the order they were made.
 * - The simulator never waits for a consumer (`DryRunMarket.setPrice` must return
 *   when the book has moved): each source buffers up to `capacity` updates. When its
 *   buffer is full, new updates are dropped and one `Gap` is queued after the last one
 *   kept (a slot is kept for it); once the consumer has made room, updates are kept
 *   again. Everything dropped happened before the consumer reaches the `Gap`, so the
 *   reconciliation it runs there sees it.
 * - When the dry run's layer is released, every source's stream ends.
 */
import { type Cause, Effect, Queue, type Scope, Stream } from "effect"
import type { VenueUpdate } from "../../services/Venue.ts"
import type { OrderChange } from "./Book.ts"

/** How many updates a source holds for a consumer that has not taken them yet. */
export const UPDATE_BUFFER = 1024

export interface DryRunEvents {
  /** Offers the changed orders' views to the sources of their symbols, in order, without waiting. */
  publish(changes: ReadonlyArray<OrderChange>): Effect.Effect<void>
  /** Tells every source that changes were made but could not be offered (their save failed): the engine reconciles. */
  readonly gap: Effect.Effect<void>
  /** The source of `symbol`'s order updates: subscribes when run, for as long as it runs. */
  updates(symbol: string): Stream.Stream<VenueUpdate>
}

interface Source {
  readonly symbol: string
  readonly queue: Queue.Queue<VenueUpdate, Cause.Done>
  /** Whether updates are being dropped since the last `Gap` queued. */
  dropping: boolean
}

const GAP: VenueUpdate = { _tag: "Gap" }

/** Queues `update` on `source`, or drops it behind one `Gap` when the buffer is full. */
const offer = (source: Source, update: VenueUpdate, capacity: number) => {
  if (Queue.sizeUnsafe(source.queue) < capacity) {
    source.dropping = false
    Queue.offerUnsafe(source.queue, update)
  } else if (!source.dropping) {
    source.dropping = true
    Queue.offerUnsafe(source.queue, GAP)
  }
}

/** The dry run's sources, each buffering up to `capacity` updates; ended with the scope. */
export const makeDryRunEvents = (capacity: number = UPDATE_BUFFER): Effect.Effect<DryRunEvents, never, Scope.Scope> =>
  Effect.gen(function*() {
    const sources = new Set<Source>()
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const s of sources) Queue.endUnsafe(s.queue)
        sources.clear()
      })
    )

    const publish = (changes: ReadonlyArray<OrderChange>) =>
      changes.length === 0 || sources.size === 0 ? Effect.void : Effect.sync(() => {
        for (const source of sources) {
          for (const { order, trade } of changes) {
            if (order.symbol === source.symbol) offer(source, { _tag: "Order", order, trade }, capacity)
          }
        }
      })

    const gap = Effect.sync(() => {
      for (const source of sources) offer(source, GAP, capacity)
    })

    const subscribe = (symbol: string) =>
      Effect.acquireRelease(
        Effect.map(Queue.dropping<VenueUpdate, Cause.Done>(capacity + 1), (queue) => {
          const source: Source = { symbol, queue, dropping: false }
          Queue.offerUnsafe(queue, { _tag: "State", state: "connected" })
          sources.add(source)
          return source
        }),
        (source) => Effect.andThen(Effect.sync(() => sources.delete(source)), Queue.shutdown(source.queue))
      )

    const updates = (symbol: string): Stream.Stream<VenueUpdate> =>
      Stream.unwrap(Effect.map(subscribe(symbol), (source) => Stream.fromQueue(source.queue)))

    return { publish, gap, updates } satisfies DryRunEvents
  })
