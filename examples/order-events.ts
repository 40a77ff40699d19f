// Order events on the dry-run paper exchange: a buy filled in two parts, printed as it happens.
// Run it from a clone with `node --conditions=source examples/order-events.ts`.
import { Effect, Fiber, Option, References, Stream } from "effect"
import { createLimitBuy, Decimal, DryRun, DryRunMarket, eventSource, subscribeOrderEvents } from "orderops"

const program = Effect.gen(function*() {
  const market = yield* DryRunMarket
  // Subscribe first: every event published from here on is delivered, in order.
  const events = yield* subscribeOrderEvents

  // A fiber that prints each event as it comes, until the order is filled.
  const printer = yield* events.pipe(
    Stream.takeUntil((event) => event._tag === "Filled"),
    Stream.runForEach((event) =>
      Effect.sync(() => {
        const o = event.order
        // A fill's trade is none only when the exchange did not list it in time (see docs/order-events.md).
        const fill = event._tag === "PartiallyFilled" || event._tag === "Filled"
          ? Option.match(event.trade, {
            onNone: () => ": no trade listed",
            onSome: (t) => `: ${Decimal.format(t.quantity)} at ${Decimal.format(t.price)}, fee ${Decimal.format(t.fee)} ${t.feeAsset}`
          })
          : ""
        console.log(`${event._tag} ${o.side} ${o.id}, ${Decimal.format(o.filled)}/${Decimal.format(o.quantity)} filled${fill}`)
      })
    ),
    Effect.forkScoped
  )

  yield* market.setDepth(60) // at most 60 HBAR per fill: the buy fills in two parts
  yield* createLimitBuy(0.098, 100)
  yield* market.setPrice(0.097)
  yield* market.setPrice(0.096)
  yield* Fiber.join(printer)
  console.log(`event source: ${yield* eventSource}`) // connected, reconnecting, polling or off
}).pipe(Effect.scoped)

const quiet = Effect.provideService(References.MinimumLogLevel, "Warn") // logs off: only the events are printed
Effect.runPromise(program.pipe(Effect.provide(DryRun.layer({ price: 0.1 })), quiet))
