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
 *
 * The stream's baseline: a bare WebSocket on a listenKey of the same account, which
 * parses each frame and notes when the fill's `executionReport` arrives (the least
 * any client does). Its rounds alternate with the layer's, each on a fresh server;
 * the layer then only places the orders (stream off, no polls), so the two sockets
 * never compete for the thread. The figure is the layer's p50 minus the bare one's.
 */
import { Deferred, Effect, Exit, Layer, Redacted, References, Scope, Stream } from "effect"
import { Exchange, OrderJournal } from "../src/index.ts"
import { LiveExchangeLayer } from "../src/layers/live/Live.ts"
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

type Source = "stream" | "polling" | "bare"

/**
 * The live `Exchange` on `url`: on the user data stream, polling only (`events.stream: false`),
 * or, for the bare WebSocket's rounds, neither (the stream off, a poll an hour).
 */
const exchangeLayer = (url: string, source: Source) =>
  LiveExchangeLayer({
    apiKey: API_KEY,
    secret: Redacted.make(SECRET),
    baseUrl: url,
    symbol: SYMBOL,
    journal: OrderJournal.layerMemory,
    events: source === "stream" ? {} : { stream: false, pollInterval: source === "polling" ? `${POLL_MS} millis` : "1 hour" }
  }).pipe(Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")))

/** A bare WebSocket on a fresh listenKey of the account at `url`: calls `onFilled` with each FILLED report's order id. */
const bareSocket = async (url: string, onFilled: (orderId: string) => void): Promise<WebSocket> => {
  const answer = await fetch(`${url}/api/v3/userDataStream`, { method: "POST", headers: { "X-MBX-APIKEY": API_KEY } })
  const { listenKey } = (await answer.json()) as { readonly listenKey: string }
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws/${listenKey}`)
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(String(message.data)) as { readonly e?: string; readonly X?: string; readonly i?: number }
    if (event.e === "executionReport" && event.X === "FILLED") onFilled(String(event.i))
  })
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true })
    socket.addEventListener("error", reject, { once: true })
  })
  return socket
}

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
      /** The order id whose Filled event the sample waits for, and when it came. */
      let waiting: { readonly id: string; readonly done: Deferred.Deferred<number> } | undefined
      const filled = (orderId: string) => {
        if (waiting !== undefined && orderId === waiting.id) Deferred.doneUnsafe(waiting.done, Exit.succeed(performance.now()))
      }
      if (source === "bare") {
        const socket = yield* Effect.promise(() => bareSocket(server.url, filled))
        yield* Effect.addFinalizer(() => Effect.sync(() => socket.close()))
      } else {
        const events = yield* exchange.subscribeOrderEvents
        yield* events.pipe(
          Stream.runForEach((e) => Effect.sync(() => e._tag === "Filled" && filled(e.order.id))),
          Effect.forkScoped
        )
      }
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
        // Without its stream the layer learns of the fill only by asking (untimed), so its open orders stay within Binance's 200.
        if (source === "bare") yield* exchange.fetchOrder(order.id)
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

/** The stream's rounds and the bare WebSocket's, alternating which goes first, each on a fresh server and layer. */
const streamRounds = async (): Promise<{ readonly layer: ReadonlyArray<ReadonlyArray<number>>; readonly bare: ReadonlyArray<ReadonlyArray<number>> }> => {
  const layer: Array<ReadonlyArray<number>> = []
  const bare: Array<ReadonlyArray<number>> = []
  for (let r = 0; r < STREAM_ROUNDS; r++) {
    if (r % 2 === 0) {
      layer.push(await latencies("stream", STREAM_SAMPLES, 30))
      bare.push(await latencies("bare", STREAM_SAMPLES, 30))
    } else {
      bare.push(await latencies("bare", STREAM_SAMPLES, 30))
      layer.push(await latencies("stream", STREAM_SAMPLES, 30))
    }
  }
  return { layer, bare }
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
  const stream = await streamRounds().then(({ layer, bare }): Array<Row> => {
    const p50s = layer.map((xs) => quantile(xs, 0.5))
    const bareP50s = bare.map((xs) => quantile(xs, 0.5))
    const added = p50s.map((p, i) => p - bareP50s[i]!)
    const p99s = layer.map((xs) => quantile(xs, 0.99))
    const [p50, p99, bareP50, addedP50] = [median(p50s), median(p99s), median(bareP50s), median(added)]
    const how = `median of ${STREAM_ROUNDS} rounds of ${STREAM_SAMPLES} fills on the loopback server in this process, each from ` +
      `fillOrder (the server's fill and its executionReport) to the subscriber's Filled event, ${STREAM_PAUSE_MS} ms after the ` +
      `order was placed, through the live layer's stream, journal (memory) and Ref`
    return [
      {
        name: streamName,
        baseline: "-",
        measured: `${ms(p50)} / ${ms(p99)}`,
        ratio: ms(p99),
        target: "p99 < 5 ms",
        verdict: verdict(p99 < 5),
        note: `${how}; p99 per round ${p99s.map(ms).join(", ")}`
      },
      {
        name: "(j) fill to event p50, over a bare WebSocket",
        baseline: ms(bareP50),
        measured: ms(p50),
        ratio: `+${ms(addedP50)}`,
        target: "<= +0.25 ms",
        verdict: verdict(addedP50 <= 0.25),
        note: `the layer's p50 minus a bare WebSocket's on a listenKey of the same account (parse the frame, match the order), ` +
          `in rounds alternating with the layer's (the layer then only places orders): the median of ${STREAM_ROUNDS} paired ` +
          `differences (${added.map((d) => `+${ms(d)}`).join(", ")}); bare p50 per round ${bareP50s.map(ms).join(", ")}`
      }
    ]
  }, (error) => [skipped(streamName, error)])
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
  return [...stream, polling]
}
