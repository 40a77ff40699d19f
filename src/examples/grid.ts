/**
 * Tutorial: a grid bot on the paper exchange (`npm start`, or `orderops demo`).
 *
 * A grid bot keeps a ladder of limit orders around the price: buys below it and
 * sells above it, `step` apart. When a buy fills it places a sell one step above;
 * when a sell fills, a buy one step below. Each buy-then-sell round trip earns
 * one step on `quantity`, less fees. The bot learns of each fill from the
 * exchange's order events (`subscribeOrderEvents`) as it happens, not by asking.
 * Everything here is the public orderops API, used as any program would use it;
 * only the price path is made up.
 */
import { Effect, Option, Queue, References, Stream } from "effect"
import {
  Decimal,
  DryRun,
  DryRunMarket,
  Exchange,
  type ExchangeFailure,
  type OrderRecord,
  OrderSession,
  withOrderSession
} from "../index.ts"

export interface GridOptions {
  /** Price moves to simulate. Default 300 (about 3 seconds). */
  readonly ticks?: number
  /** Pause between moves, in ms. Default 10. */
  readonly tickMillis?: number
  /** Seed of the random walk: the same seed gives the same run. Default 42. */
  readonly seed?: number
  /** Orders on each side of the price. Default 5. */
  readonly levels?: number
  /** Grid spacing as a fraction of the price. Default 0.01 (1%). */
  readonly step?: number
  /** HBAR per order. Default 500. */
  readonly quantity?: number
  /** Starting price of HBAR/USDT. Default 0.1. */
  readonly startPrice?: number
  /** Print nothing (tests). Default false. */
  readonly quiet?: boolean
}

/** A seeded random walk: each tick moves the price by a normal step of ~0.4%. */
const randomWalk = (seed: number, start: number) => {
  let s = seed >>> 0
  const uniform = () => { // mulberry32
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  let price = start
  return () => {
    const normal = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
    price = Math.max(start / 10, price * (1 + 0.004 * normal))
    return Math.round(price * 1e5) / 1e5 // the market's tick is 0.00001
  }
}

export const gridBot = (options: GridOptions = {}) =>
  Effect.gen(function*() {
    const { levels = 5, quantity = 500, seed = 42, startPrice = 0.1, step = 0.01, tickMillis = 10, ticks = 300 } = options
    const exchange = yield* Exchange // the session's exchange: it remembers what we place
    const market = yield* DryRunMarket // the paper market: we move its price
    const session = yield* OrderSession
    const tty = process.stdout.isTTY === true && options.quiet !== true
    const write = (text: string) => Effect.sync(() => options.quiet === true || process.stdout.write(text))
    const say = (line: string) => write(`${tty ? "\r\x1b[K" : ""}${line}\n`)

    // Realised P&L, grid style: an order placed because another filled closes a
    // round trip when it fills in turn (buy low then sell high, or the reverse).
    // The fee (0.1%) is charged on the asset received by each side.
    const fee = 0.001
    const openedAt = new Map<string, number>() // order id -> price of the fill that placed it
    let realised = 0
    let fills = 0
    // The P&L here is a number for display: exact amounts (`BigDecimal`) become one
    // through `Decimal.toNumber`. Every order this bot places is a limit order.
    const limitOf = (o: OrderRecord): number => Option.match(o.price, { onNone: () => NaN, onSome: Decimal.toNumber })
    const account = (o: OrderRecord) => {
      fills += 1
      const other = openedAt.get(o.id)
      if (other === undefined) return
      const [buy, sell] = o.side === "sell" ? [other, limitOf(o)] : [limitOf(o), other]
      const q = Decimal.toNumber(o.quantity)
      realised += q * (sell - buy) - q * (sell + buy) * fee
    }

    const place = (side: "buy" | "sell", price: number) =>
      exchange.placeOrder({ side, type: "limit", price, quantity }).pipe(
        // Out of funds on one side is part of grid life: skip that rung.
        Effect.catchTag("ExchangeError", (e) =>
          e.reason === "InsufficientFunds" ? Effect.as(say(`  skipped ${side} at ${price.toFixed(5)}: ${e.reason}`), undefined) : Effect.fail(e))
      )

    // Each fill re-places the opposite side one step away. An order that crosses
    // the market when placed comes back filled: it is handled at once, the same way,
    // and its own Filled event, coming later, is then skipped.
    const handled = new Set<string>() // orders whose fill the bot has acted on
    const onFilled = (o: OrderRecord): Effect.Effect<void, ExchangeFailure> =>
      Effect.gen(function*() {
        if (handled.has(o.id)) return
        handled.add(o.id)
        account(o)
        const [side, price] = o.side === "buy"
          ? ["sell", limitOf(o) * (1 + step)] as const
          : ["buy", limitOf(o) * (1 - step)] as const
        const next = yield* place(side, price)
        yield* say(`  ${o.side} ${Decimal.format(o.quantity)} HBAR at ${limitOf(o)} filled` + (next ? ` -> ${side} at ${limitOf(next)}` : ""))
        if (next === undefined) return
        openedAt.set(next.id, limitOf(o))
        if (next.status === "closed") yield* onFilled(next)
      })

    // The bot proper: it learns of fills from the exchange's order events, as they
    // happen, and reacts to each. (This grid's orders fill in full: a partial fill
    // would come as PartiallyFilled events first, and the Filled event at the end.)
    const events = yield* exchange.subscribeOrderEvents
    const reacted = yield* Queue.unbounded<string>() // the ids of the Filled events acted on, for the price path below
    const bot = events.pipe(
      Stream.filter((e) => e._tag === "Filled"),
      Stream.runForEach((e) => Effect.andThen(onFilled(e.order), Queue.offer(reacted, e.order.id)))
    )

    // The initial grid: `levels` buys below and `levels` sells above the start price.
    const start = [yield* exchange.getQuoteBalance(), yield* exchange.getBaseAssetBalance()]
    yield* say(`Paper account: ${Decimal.format(start[0]!)} USDT and ${Decimal.format(start[1]!)} HBAR`)
    yield* say(`Grid: ${levels} buys and ${levels} sells of ${quantity} HBAR, ${step * 100}% apart, around ${startPrice}`)
    for (let k = 1; k <= levels; k++) {
      yield* place("buy", startPrice * (1 - k * step))
      yield* place("sell", startPrice * (1 + k * step))
    }

    // The market: the price moves tick by tick. A real market would not wait for the
    // bot; this one waits until the bot has reacted to the fills of each move, so
    // that a seed always gives the same run.
    const nextPrice = randomWalk(seed, startPrice)
    let price = startPrice
    const awaitReactions = (filled: ReadonlyArray<OrderRecord>) =>
      Effect.gen(function*() {
        const waiting = new Set(filled.filter((o) => o.status === "closed").map((o) => o.id))
        while (waiting.size > 0) waiting.delete(yield* Queue.take(reacted))
      })
    const priceMoves = Effect.gen(function*() {
      for (let tick = 1; tick <= ticks; tick++) {
        price = nextPrice()
        yield* awaitReactions(yield* market.setPrice(price))
        const line = `tick ${tick}/${ticks}  price ${price.toFixed(5)}  fills ${fills}  ` +
          `USDT ${Decimal.toNumber(yield* exchange.getQuoteBalance()).toFixed(2)}  HBAR ${Decimal.format(yield* exchange.getBaseAssetBalance())}  ` +
          `realised P&L ${realised >= 0 ? "+" : ""}${realised.toFixed(4)} USDT`
        if (tty) yield* write(`\r\x1b[K${line}`)
        else if (tick % Math.max(1, Math.floor(ticks / 10)) === 0 || tick === ticks) yield* say(line)
        yield* Effect.sleep(tickMillis)
      }
    })
    // The price path ends the run; the bot fails it if an order fails.
    const trade = Effect.raceFirst(priceMoves, Effect.andThen(bot, Effect.never))

    // The end, normal or Ctrl-C: cancel what is left and say so in one line.
    const finish = (how: string) =>
      Effect.gen(function*() {
        const { canceled } = yield* session.cancelOpen
        yield* say(`${how}: ${fills} fills, realised P&L ${realised.toFixed(4)} USDT; cancelled ${canceled.length} open orders.`)
        return canceled.length
      })
    yield* Effect.onInterrupt(trade, () => finish("Stopped"))
    const canceled = yield* finish("Done")
    return { fills, realised, canceled, price }
  }).pipe(Effect.scoped)

/** What the demo's paper account starts with. */
export const DEMO_BALANCES = { USDT: 1000, HBAR: 5000 }

/**
 * The demo, ready to run: the bot in an order session (so Ctrl-C, SIGTERM or a
 * failure cancels every order it placed), on a paper exchange funded with
 * `DEMO_BALANCES`. Log lines, the paper exchange's included, are turned down to
 * warnings, the session's shutdown report too: the bot's own summary line says
 * what happened.
 */
export const runGridDemo = (options: GridOptions = {}) =>
  gridBot(options).pipe(
    withOrderSession(),
    Effect.provide(DryRun.layer({ price: options.startPrice ?? 0.1, balances: DEMO_BALANCES })),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
