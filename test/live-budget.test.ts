/**
 * The live venue's request budget against the loopback Binance.US server, which
 * enforces the limits as Binance does (429 past them, a 418 ban after repeated
 * violations): a burst of creates far beyond the orders window, through a SQLite
 * journal at either durability, draws no 429 and places each order exactly once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createLimitBuy, Journal, OrderJournal } from "../src/index.ts"
import { binanceServer } from "./support/BinanceServer.ts"
import { fastLiveLayer } from "./support/live-layer.ts"

const credentials = { apiKey: "budget-key-0123456789abcdef", secret: "budget-secret-FEDCBA9876543210" }

/** A scratch folder for one test's journal, removed with the test's scope. */
const scratch = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "orderops-budget-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

describe("live: the request budget against Binance's limits", () => {
  for (const synchronous of ["normal", "full"] as const) {
    it.live(`1,000 creates fired at once (journal synchronous: ${synchronous}): no 429, each order placed once`, () =>
      Effect.gen(function*() {
        // 200 orders per second: the burst needs five windows, and every one of them is full.
        const server = yield* binanceServer({
          ...credentials,
          balances: { USDT: "1000000" },
          prices: { HBARUSDT: "0.1" },
          rateLimits: [
            { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1200 },
            { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 1, limit: 200 },
            { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200_000 }
          ]
        })
        const dir = yield* scratch
        const journal = Journal.layerSqlite(join(dir, "journal.sqlite"), { synchronous })
        const live = fastLiveLayer(server, credentials, { journal, timeoutMs: 10_000 })
        // Limit buys above the market fill at once: nothing stays open, no MAX_NUM_ORDERS.
        const ids = yield* Effect.all(Array.from({ length: 1000 }, () => createLimitBuy(0.11, 100)), { concurrency: "unbounded" }).pipe(
          Effect.provide(live)
        )
        const counters = server.counters()
        assert.strictEqual(counters.status429, 0, "429s answered")
        assert.strictEqual(counters.status418, 0, "418s answered")
        const placed = server.orders().map((o) => String(o.orderId))
        assert.strictEqual(placed.length, 1000)
        assert.deepStrictEqual([...ids].sort(), [...placed].sort(), "each order placed exactly once")
        assert.strictEqual(new Set(server.orders().map((o) => o.clientOrderId)).size, 1000)
      }).pipe(Effect.scoped), 120_000)
  }
})
