/**
 * `orderops watch`: prints the market's order events as they happen, one line each
 * (or one JSON object per line with `--json`), and the event source's changes of
 * state, until Ctrl-C. Live it follows the exchange's stream (REST polls while the
 * stream is down); in a dry run it follows the paper exchange that other `orderops`
 * commands change, through the journal (`paperWatch.ts`).
 */
import { Clock, type Config, Console, Effect, Layer, Option, References, Schedule, Stream } from "effect"
import { Command, GlobalFlag } from "effect/cli"
import type { ExchangeFailure } from "../errors/index.ts"
import * as D from "../services/Decimal.ts"
import { Exchange } from "../services/Exchange.ts"
import { type EventSourceState, isFill, type OrderEvent } from "../services/OrderEvent.ts"
import { dryRunMarkets, liveLayer } from "./environment.ts"
import { type CliUsageError, recordJson, time, tradeJson } from "./output.ts"
import { paperWatchLayer } from "./paperWatch.ts"
import { marketFlags, root, type Shared, where } from "./shared.ts"

/** How often the event source's state is read, to print its changes. */
const STATE_CHECK = "250 millis"

/** What the watcher prints: an order event, or the event source's new state. */
type Seen =
  | { readonly _tag: "Event"; readonly event: OrderEvent }
  | { readonly _tag: "Source"; readonly state: EventSourceState }

/** An event as one readable line: when it arrived, what happened, the order, and for a fill its trade. */
export const eventLine = (event: OrderEvent, at: number): string => {
  const o = event.order
  const limit = Option.match(o.price, { onNone: () => "", onSome: (p) => ` at ${D.format(p)}` })
  const line = `${time(at)}  ${event._tag.padEnd(15)}  ${o.id}  ${o.clientOrderId === "" ? "-" : o.clientOrderId}  ` +
    `${o.side} ${o.type}${limit}  ${o.status}  ${D.format(o.filled)}/${D.format(o.quantity)}`
  if (!isFill(event)) return line
  return Option.match(event.trade, {
    onNone: () => `${line}  no trade listed by the exchange`,
    onSome: (t) => `${line}  trade ${D.format(t.quantity)} at ${D.format(t.price)}, fee ${D.format(t.fee)} ${t.feeAsset}, ${t.maker ? "maker" : "taker"}`
  })
}

/** The event source's new state as one readable line. */
export const sourceLine = (state: EventSourceState, at: number): string => `${time(at)}  event source: ${state}`

/**
 * One line of `--json`: `{"_tag":"Filled","order":{...},"trade":{...}}`, or `{"_tag":"EventSource","state":...}`.
 * The order and trade are written as `orders --json` and `trades --json` write them
 * (amounts as decimal strings, absent ones as null; a fill whose trade the exchange did not list has `"trade":null`).
 */
export const jsonLine = (seen: Seen): string => {
  if (seen._tag === "Source") return JSON.stringify({ _tag: "EventSource", state: seen.state })
  const { event } = seen
  return JSON.stringify(
    isFill(event)
      ? { _tag: event._tag, order: recordJson(event.order), trade: Option.match(event.trade, { onNone: () => null, onSome: tradeJson }) }
      : { _tag: event._tag, order: recordJson(event.order) }
  )
}

/** Prints what the exchange in context publishes, until interrupted. */
const follow = (shared: Shared) =>
  Effect.gen(function*() {
    const exchange = yield* Exchange
    // Subscribed before anything is printed: nothing published from here on is missed.
    const events = yield* exchange.subscribeOrderEvents
    if (!shared.json) yield* Console.log(`Watching order events on ${where(shared, exchange)}; Ctrl-C stops.`)
    const states = Stream.fromEffectSchedule(exchange.eventSource, Schedule.spaced(STATE_CHECK)).pipe(Stream.changes)
    const print = (seen: Seen) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Console.log(
          shared.json ? jsonLine(seen) : seen._tag === "Event" ? eventLine(seen.event, now) : sourceLine(seen.state, now)
        ))
    yield* Stream.merge(
      Stream.map(events, (event): Seen => ({ _tag: "Event", event })),
      Stream.map(states, (state): Seen => ({ _tag: "Source", state }))
    ).pipe(Stream.runForEach(print))
  }).pipe(Effect.scoped)

export const watch = Command.make("watch", {}, () =>
  Effect.gen(function*() {
    const shared = yield* root
    const flags = yield* marketFlags(shared)
    const layer: Layer.Layer<Exchange, ExchangeFailure | Config.ConfigError | CliUsageError> = shared.live
      ? liveLayer(shared.symbol, true)
      : Layer.unwrap(Effect.map(dryRunMarkets(shared.symbol, flags), (markets) => paperWatchLayer(shared.symbol, markets)))
    // The engine warns when it adopts an order placed by another process; a watcher's
    // own events show those orders, so below errors the log stays quiet unless --log-level asks.
    const level = Option.getOrElse(yield* GlobalFlag.LogLevel, () => "Error" as const)
    yield* Effect.provide(follow(shared), layer).pipe(Effect.provideService(References.MinimumLogLevel, level))
  })).pipe(
    Command.withDescription(
      "Print the market's order events as they happen, and the event source's state, until Ctrl-C " +
        "(dry run: the changes other orderops commands make, read from the journal)"
    ),
    Command.withExamples([
      { command: "orderops watch", description: "then, in another terminal: orderops buy ...; orderops price --set ..." },
      { command: "orderops watch --json | jq -c 'select(._tag == \"Filled\")'", description: "one JSON object per event" }
    ])
  )
