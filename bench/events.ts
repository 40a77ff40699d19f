/**
 * (j) Order-event latency: from the exchange's fill to the subscriber's event, on
 * loopback, through the live layer and real, unmodified ccxt.
 *
 * The loopback Binance.US server (test/support/BinanceServer.ts) runs in this
 * process, so one clock times both ends: the start is taken just before the server
 * fills a resting order (`fillOrder`, which also writes the fill's `executionReport`
 * to the user data stream), the end when a subscriber of `subscribeOrderEvents`
 * receives that order's `Filled` event (journaled and applied to the active orders
 * first, as always). Each sample places one limit buy, then fills it: on the
 * stream 5 ms later, when polling at a random moment of the poll's cycle. The
 * stream's figures are the median of five rounds (this machine is shared and noisy).
 *
 * Two sources: the user data stream (the live layer as configured by default), and
 * REST polling only (`events: { stream: false }`, the engine polling every `POLL_MS`).
 * Polling's latency is about half the interval on average, plus a reconciliation's
 * requests: it is reported, with no target.
 */
import { Deferred, Effect, Exit, Layer, Redacted, References, Scope, Stream } from "effect"
import { Exchange, OrderJournal } from "../src/index.ts"
import { LiveExchangeLayer } from "../src/layers/Live.ts"
import { startBinanceServer } from "../test/support/BinanceServer.ts"
import { median, ms, progress, quantile, type Row, verdict } from "./support.ts"

const API_KEY = "bench-key-0123456789abcdef"
const SECRET = "bench-secret-FEDCBA9876543210"
const SYMBOL = "HBAR/USDT"
/** Rounds of the stream's samples; the figures are the median round's. */
const STREAM_ROUNDS = 5
const STREAM_SAMPLES = 200
/** The pause between placing an order and filling it, on the stream. */
const STREAM_PAUSE_MS = 5
const POLL_SAMPLES = 40
/** The polling run's interval: short, so the run stays short; the latency scales with it. */
const POLL_MS = 250

type Source = "stream" | "polling"

/** The live `Exchange` on `url`: on the user data stream, or polling only (`events.stream: false`). */
const exchangeLayer = (url: string, source: Source) =>
  LiveExchangeLayer({
    apiKey: API_KEY,
    secret: Redacted.make(SECRET),
    baseUrl: url,
    symbol: SYMBOL,
    journal: OrderJournal.layerMemory,
    events: source === "stream" ? {} : { stream: false, pollInterval: `${POLL_MS} millis` }
  }).pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))

/** `samples` fill-to-event latencies (ms) through `source`, after `warmUp` unmeasured ones. */
const latencies = async (source: Source, samples: number, warmUp: number): Promise<ReadonlyArray<number>> => {
  const server = await startBinanceServer({
    apiKey: API_KEY,
    secret: SECRET,
    prices: { HBARUSDT: "0.1" },
    balances: { USDT: "1000000" },
    // Polling this often would spend Binance's 1200 request weight a minute in seconds,
    // and the layer's budget would then hold the polls back: lifted, to time the path itself.
    weightLimitPerMinute: 1_000_000
  })
  const scope = await Effect.runPromise(Scope.make())
  try {
    const context = await Effect.runPromise(Layer.buildWithScope(exchangeLayer(server.url, source), scope))
    const measure = Effect.gen(function*() {
      const exchange = yield* Exchange
      // The source up first: the stream connected, or the engine polling.
      const expected = source === "stream" ? "connected" : "polling"
      yield* Effect.gen(function*() {
        while ((yield* exchange.eventSource) !== expected) yield* Effect.sleep("10 millis")
      }).pipe(Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.die(new Error(`the event source is not ${expected} after 10 s`)) }))
      const events = yield* exchange.subscribeOrderEvents
      /** The order id whose Filled event the sample waits for, and when it came. */
      let waiting: { readonly id: string; readonly done: Deferred.Deferred<number> } | undefined
      yield* events.pipe(
        Stream.runForEach((e) =>
          Effect.sync(() => {
            if (e._tag === "Filled" && waiting !== undefined && e.order.id === waiting.id) {
              Deferred.doneUnsafe(waiting.done, Exit.succeed(performance.now()))
            }
          })
        ),
        Effect.forkScoped
      )
      const out: Array<number> = []
      for (let i = 0; i < warmUp + samples; i++) {
        const order = yield* exchange.placeOrder({ side: "buy", type: "limit", price: "0.09", quantity: 100 })
        const done = yield* Deferred.make<number>()
        waiting = { id: order.id, done }
        // Polling: a fill comes at any moment of the poll's cycle, not just after a poll.
        // Stream: a moment after the order rests, not while its own report is on the wire.
        yield* Effect.sleep(source === "polling" ? Math.random() * POLL_MS : STREAM_PAUSE_MS)
        const start = performance.now()
        server.fillOrder(SYMBOL.replace("/", ""), { orderId: Number(order.id) })
        const end = yield* Deferred.await(done).pipe(
          Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.die(new Error(`no Filled event for order ${order.id} within 10 s`)) })
        )
        if (i >= warmUp) out.push(end - start)
      }
      return out
    })
    return await Effect.runPromise(
      measure.pipe(Effect.scoped, Effect.provideContext(context), Effect.provideService(References.MinimumLogLevel, "Warn"))
    )
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await server.close()
  }
}

/** The stream's rounds, each on a fresh server and layer. */
const streamRounds = async (): Promise<ReadonlyArray<ReadonlyArray<number>>> => {
  const rounds: Array<ReadonlyArray<number>> = []
  for (let r = 0; r < STREAM_ROUNDS; r++) rounds.push(await latencies("stream", STREAM_SAMPLES, 30))
  return rounds
}

/** A row saying why a part could not be measured. */
const skipped = (name: string, error: unknown): Row => ({
  name, baseline: "-", measured: "-", ratio: "-", target: "-", verdict: "SKIP", note: `failed: ${String(error)}`
})

/** (j): the stream's p50 and p99 (target p99 < 5 ms), and polling's, reported. */
export const eventLatency = async (): Promise<ReadonlyArray<Row>> => {
  const streamName = "(j) fill to event, user data stream (p50 / p99)"
  const pollingName = `    same, REST polling every ${POLL_MS} ms (p50 / p99)`
  progress(`(j) stream: ${STREAM_ROUNDS} rounds of ${STREAM_SAMPLES} fills`)
  const stream = await streamRounds().then((rounds): Row => {
    const p50 = median(rounds.map((xs) => quantile(xs, 0.5)))
    const p99s = rounds.map((xs) => quantile(xs, 0.99))
    const p99 = median(p99s)
    return {
      name: streamName,
      baseline: "-",
      measured: `${ms(p50)} / ${ms(p99)}`,
      ratio: ms(p99),
      target: "p99 < 5 ms",
      verdict: verdict(p99 < 5),
      note: `median of ${STREAM_ROUNDS} rounds of ${STREAM_SAMPLES} fills (p99 per round ${p99s.map(ms).join(", ")}) on the loopback ` +
        `server in this process, each from fillOrder (the server's fill and its executionReport) to the subscriber's Filled event, ` +
        `${STREAM_PAUSE_MS} ms after the order was placed, through the live layer's stream, journal (memory) and Ref`
    }
  }, (error) => skipped(streamName, error))
  progress(`(j) polling every ${POLL_MS} ms: ${POLL_SAMPLES} fills`)
  const polling = await latencies("polling", POLL_SAMPLES, 5).then((xs): Row => ({
    name: pollingName,
    baseline: "-",
    measured: `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.99))}`,
    ratio: "-",
    target: "report",
    verdict: "INFO",
    note: `${POLL_SAMPLES} fills; events.stream false, so the engine polls (default interval 5 s: ` +
      `each fill at a random moment of the cycle, so the latency is about half the interval, plus a reconciliation's requests)`
  }), (error) => skipped(pollingName, error))
  return [stream, polling]
}
