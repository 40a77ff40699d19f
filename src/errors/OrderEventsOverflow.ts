/**
 * A subscriber to `Exchange.orderEvents` fell so far behind that its buffer filled.
 * The exchange connection never waits for a subscriber, so rather than lose events
 * silently the subscriber's stream ends with this error. Its events up to the
 * overflow were delivered; to carry on, read `activeOrders` (or `sync`) for the state
 * now and subscribe again, or give the subscriber a larger `subscriberBuffer`.
 */
import { Schema } from "effect"

export class OrderEventsOverflow extends Schema.TaggedError<OrderEventsOverflow>()("OrderEventsOverflow", {
  symbol: Schema.String,
  /** The subscriber's buffer, in events (`events.subscriberBuffer`). */
  capacity: Schema.Number
}) {
  override get message(): string {
    return `order events on ${this.symbol}: a subscriber fell ${this.capacity} events behind; its stream ended (subscribe again)`
  }
}
