/**
 * The ccxt client (the one bridge to ccxt) and the market cache over it, with real,
 * unmodified ccxt over HTTP on loopback.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ccxt from "ccxt"
import { Deferred, Effect, Fiber } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { makeCcxtClient } from "../src/layers/live/Client.ts"
import { makeMarketCache } from "../src/layers/live/Markets.ts"
import { binanceServer } from "./support/BinanceServer.ts"

const API_KEY = "client-key-0123456789abcdef"
const SECRET = "client-secret-FEDCBA9876543210"

/** A binanceus instance whose API hosts are `url`, with a timeout far beyond the tests'. */
const instanceAt = (url: string) => {
  const instance = new ccxt.binanceus({ apiKey: API_KEY, secret: SECRET, enableRateLimit: false, timeout: 60_000 })
  instance.urls = { ...instance.urls, api: { public: `${url}/api/v3`, private: `${url}/api/v3` } }
  return instance
}

/**
 * A loopback server that takes requests and never answers them. `arrived` completes
 * when a request has come in, `closed` when the client has abandoned it (the
 * request's connection closed before any answer).
 */
const silentServer = Effect.gen(function*() {
  const arrived = yield* Deferred.make<void>()
  const closed = yield* Deferred.make<void>()
  const server = yield* Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>>((resume) => {
      const s = createServer((req, res) => {
        Deferred.doneUnsafe(arrived, Effect.void)
        res.on("close", () => Deferred.doneUnsafe(closed, Effect.void))
        req.resume()
      })
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) =>
      Effect.callback<void>((resume) => {
        s.closeAllConnections()
        s.close(() => resume(Effect.void))
      })
  )
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, arrived, closed }
})

describe("ccxt client", () => {
  it.live("interrupting a request aborts it: the server sees the request abandoned", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const client = yield* makeCcxtClient(ccxt, instanceAt(server.url), { rateLimit: false })
      const request = yield* Effect.forkChild(
        client.use(
          { operation: "test", symbol: "", kind: "time", describe: () => "GET time" },
          (ex) => (ex as unknown as { publicGetTime(): Promise<unknown> }).publicGetTime()
        )
      )
      yield* Deferred.await(server.arrived).pipe(Effect.timeout("5 seconds"))
      yield* Fiber.interrupt(request)
      // ccxt's own timeout is a minute away: only the abort can close it this soon.
      yield* Deferred.await(server.closed).pipe(Effect.timeout("2 seconds"))
    }))
})

describe("market cache", () => {
  it.live("concurrent callers share one load; a failed load is not kept; refresh reloads", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({ apiKey: API_KEY, secret: SECRET, latencyMs: 50 })
      const loads = () => server.requestLog().filter((r) => r.path === "/api/v3/exchangeInfo").length
      const instance = instanceAt(server.url)
      const client = yield* makeCcxtClient(ccxt, instance, { rateLimit: false })
      const markets = yield* makeMarketCache(client, instance.precisionMode)

      server.status5xx(502, { path: "/api/v3/exchangeInfo", times: 1 })
      const failed = yield* Effect.flip(markets.market("test", "HBAR/USDT"))
      assert.strictEqual(failed._tag, "NetworkError")
      assert.strictEqual(loads(), 1)

      const all = yield* Effect.all(
        ["HBAR/USDT", "HBAR/USDT", "LTC/USDT", "HBAR/USDT", "LTC/USDT"].map((s) => markets.market("test", s)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(loads(), 2, "the five callers shared one load after the failed one")
      assert.strictEqual(all[0]!.rules.symbol, "HBAR/USDT")
      assert.strictEqual(all[0]!.wireId, "HBARUSDT")
      const cached = yield* markets.market("test", "HBAR/USDT")
      assert.strictEqual(cached, yield* markets.market("test", "HBAR/USDT"), "kept once decoded")
      const unknown = yield* Effect.flip(markets.market("test", "DOGE/USDT"))
      assert.strictEqual(unknown._tag === "ValidationError" && unknown.rule, "UnknownMarket")
      assert.strictEqual(loads(), 2)

      yield* markets.refresh("test")
      assert.strictEqual(loads(), 3)
      const again = yield* markets.market("test", "HBAR/USDT")
      assert.notStrictEqual(again, cached, "decoded afresh after the refresh")
      assert.strictEqual(loads(), 3)
    }))
})
