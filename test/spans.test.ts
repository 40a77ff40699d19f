/**
 * Every `Exchange` operation is a span `Exchange.<operation>`, a child of the caller's
 * span, carrying the market, the order's ids and the outcome: on the dry run and on
 * the live layer against the loopback Binance server alike, with a recording tracer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Stream, Tracer } from "effect"
import { cancelOrder, createLimitBuy, DryRunExchangeLayer, DryRunMarket, Exchange, fetchOrder } from "../src/index.ts"
import { withLiveServer } from "./support/live-layer.ts"

const credentials = { apiKey: "spans-key-0123456789abcdef", secret: "spans-secret-FEDCBA9876543210" }

/** A tracer that keeps every span it makes. */
const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

/**
 * A bot's run under its own span, the market at 0.1: a resting buy, a buy that fills at
 * once, a cancel, a cancel that fails (the order is no longer open), a refused input, and
 * a resting buy filled by the market and then read.
 */
const botRun = <R>(setPrice: (price: string) => Effect.Effect<void, never, R>) =>
  Effect.gen(function*() {
    const resting = yield* createLimitBuy(0.09, 100)
    const taker = yield* createLimitBuy(0.11, 100)
    yield* cancelOrder(resting)
    const notOpen = yield* Effect.flip(cancelOrder(resting))
    const refused = yield* Effect.flip(createLimitBuy(-1, 100))
    const maker = yield* createLimitBuy(0.095, 100)
    yield* setPrice("0.095")
    const filled = yield* fetchOrder(maker)
    return { resting, taker, notOpen, refused, maker, filled }
  }).pipe(Effect.withSpan("bot"))

type Run = Effect.Success<ReturnType<typeof botRun<never>>>

const attribute = (span: Tracer.NativeSpan, key: string) => span.attributes.get(key)

/** Asserts the operations' spans of `botRun` on `venue`. */
const assertSpans = (spans: ReadonlyArray<Tracer.NativeSpan>, venue: string, run: Run) => {
  const bot = spans.find((s) => s.name === "bot")
  assert.isDefined(bot)
  const ops = spans.filter((s) => s.name.startsWith("Exchange."))
  assert.deepStrictEqual(ops.map((s) => s.name), [
    "Exchange.createLimitBuy",
    "Exchange.createLimitBuy",
    "Exchange.cancelOrder",
    "Exchange.cancelOrder",
    "Exchange.createLimitBuy",
    "Exchange.createLimitBuy",
    "Exchange.fetchOrder"
  ])
  for (const span of ops) {
    assert.strictEqual(Option.getOrUndefined(span.parent)?.spanId, bot!.spanId, `${span.name}: a child of the caller's span`)
    assert.strictEqual(span.status._tag, "Ended", `${span.name} ended`)
    assert.strictEqual(attribute(span, "orderops.symbol"), "HBAR/USDT")
    assert.strictEqual(attribute(span, "orderops.venue"), venue)
  }
  const [resting, taker, cancel, failedCancel, refused, maker, read] = ops as [Tracer.NativeSpan, ...Array<Tracer.NativeSpan>]

  // A create: the order's ids and status.
  assert.strictEqual(attribute(resting, "orderops.order_id"), run.resting)
  assert.isString(attribute(resting, "orderops.client_order_id"))
  assert.strictEqual(attribute(resting, "orderops.order_status"), "open")
  assert.strictEqual(attribute(resting, "orderops.outcome"), "ok")

  // A fill: a buy crossing the market fills as it is placed, and a resting one filled later is read closed.
  assert.strictEqual(attribute(taker!, "orderops.order_id"), run.taker)
  assert.strictEqual(attribute(taker!, "orderops.order_status"), "closed")
  assert.strictEqual(attribute(read!, "orderops.order_id"), run.maker)
  assert.strictEqual(attribute(read!, "orderops.order_status"), "closed")
  assert.strictEqual(attribute(read!, "orderops.client_order_id"), run.filled.clientOrderId)
  assert.strictEqual(attribute(maker!, "orderops.client_order_id"), run.filled.clientOrderId, "the create and the read name the same client order id")
  assert.notStrictEqual(attribute(taker!, "orderops.client_order_id"), attribute(resting, "orderops.client_order_id"))

  // A cancel.
  assert.strictEqual(attribute(cancel!, "orderops.order_id"), run.resting)
  assert.strictEqual(attribute(cancel!, "orderops.outcome"), "ok")
  const cancelStatus = cancel!.status
  assert.isTrue(cancelStatus._tag === "Ended" && Exit.isSuccess(cancelStatus.exit))

  // Failures: the error's tag and reason, and the span's exit is the failure itself.
  assert.strictEqual(run.notOpen._tag, "ExchangeError")
  assert.strictEqual(attribute(failedCancel!, "orderops.outcome"), "ExchangeError")
  assert.strictEqual(attribute(failedCancel!, "orderops.error_reason"), run.notOpen._tag === "ExchangeError" ? run.notOpen.reason : undefined)
  assert.strictEqual(attribute(failedCancel!, "orderops.order_id"), run.resting)
  const failedStatus = failedCancel!.status
  assert.isTrue(failedStatus._tag === "Ended" && Exit.isFailure(failedStatus.exit))
  assert.strictEqual(attribute(refused!, "orderops.outcome"), "ValidationError")
  assert.strictEqual(attribute(refused!, "orderops.error_reason"), run.refused._tag === "ValidationError" ? run.refused.rule : undefined)
  assert.isUndefined(attribute(refused!, "orderops.order_id"), "nothing was placed")
}

/** Runs `body` with the recording tracer in context, and gives its result with the spans. */
const recorded = <A, E, R>(body: Effect.Effect<A, E, R>) => {
  const { spans, tracer } = recordingTracer()
  return Effect.map(Effect.provideService(body, Tracer.Tracer, tracer), (run) => ({ run, spans }))
}

describe("spans", () => {
  it.effect("dry run: every operation is a span with its market, order ids and outcome", () =>
    Effect.gen(function*() {
      const setPrice = (price: string) => DryRunMarket.use((m) => Effect.asVoid(Effect.orDie(m.setPrice(Number(price)))))
      const { run, spans } = yield* recorded(botRun(setPrice).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1 }))))
      assertSpans(spans, "dry-run", run)
    }))

  it.effect("dry run: each of the service's operations is a span of its own name", () =>
    Effect.gen(function*() {
      const { run: names, spans } = yield* recorded(
        Effect.gen(function*() {
          const ex = yield* Exchange
          // Each once; whether it succeeds does not matter here, only that it is traced.
          const calls: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
            ex.createLimitBuy(0.09, 100),
            ex.createLimitSell(0.2, 100),
            ex.createMarketSell(100),
            ex.placeOrder({ side: "buy", type: "limit", price: 0.09, quantity: 100 }),
            ex.createStopLoss(0.08, 100),
            ex.createStopLossLimit(0.08, 0.079, 100),
            ex.createTakeProfit(0.2, 100),
            ex.createTakeProfitLimit(0.2, 0.2, 100),
            ex.createOco({ side: "sell", quantity: 100, price: 0.2, triggerPrice: 0.08 }),
            ex.cancelOco("1"),
            ex.cancelOrder("1"),
            ex.cancelAllBuyOrders(),
            ex.cancelAllSellOrders(),
            ex.fetchOrder("1"),
            ex.fetchAllOrders(),
            ex.fetchOpenOrders(),
            ex.fetchTrades(),
            ex.getUsdtBalance(),
            ex.getQuoteBalance(),
            ex.getBaseAssetBalance(),
            ex.sellAllAssets(),
            ex.activeOrders,
            ex.sync,
            ex.marketRules,
            Effect.scoped(ex.subscribeOrderEvents),
            ex.eventSource
          ]
          for (const call of calls) yield* Effect.exit(call)
          const events = yield* Effect.forkChild(Stream.runDrain(ex.orderEvents))
          yield* Effect.yieldNow
          yield* Fiber.interrupt(events)
          return Object.keys(ex).filter((k) => k !== "symbol" && k !== "venue")
        }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 1000 } })))
      )
      const traced = new Set(spans.map((s) => s.name))
      assert.strictEqual(names.length, 27)
      for (const name of names) assert.isTrue(traced.has(`Exchange.${name}`), `Exchange.${name} is a span`)
    }))

  it.effect("live: the same spans against the loopback Binance server, and no secret on any of them", () =>
    Effect.gen(function*() {
      const { run, spans } = yield* recorded(
        withLiveServer(credentials, (server) => botRun((price) => Effect.sync(() => server.setPrice("HBARUSDT", price))))
      )
      assertSpans(spans, "binanceus", run)
      for (const span of spans) {
        for (const [key, value] of span.attributes) {
          const text = JSON.stringify(value)
          assert.notInclude(text, credentials.secret, `${span.name} ${key}`)
          assert.notInclude(text, credentials.apiKey, `${span.name} ${key}`)
        }
      }
    }))
})
