/**
 * The grid-bot demo (src/examples/grid.ts): deterministic for a seed, trading on
 * both sides, reacting to fill events, and leaving nothing open when it ends.
 */
import { spawn } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { TestClock } from "effect/testing"
import { gridBot, runGridDemo } from "../src/examples/grid.ts"
import { Decimal, DryRunExchangeLayer, DryRunMarket, fetchAllOrders, fetchOpenOrders, type OrderRecord, withOrderSession } from "../src/index.ts"

/** Waits (yielding to the bot's fibers, the clock standing still) until the open orders satisfy `ok`. */
const openOrdersUntil = (ok: (open: ReadonlyArray<OrderRecord>) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      const open = yield* fetchOpenOrders()
      if (ok(open)) return open
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error(`the open orders never got there: ${(yield* fetchOpenOrders()).map((o) => o.id).join(", ")}`))
  })

const limit = (o: OrderRecord) => Option.match(o.price, { onNone: () => "market", onSome: Decimal.format })

describe("grid demo", () => {
  it.live("the same seed gives the same run, and it ends by itself", () =>
    Effect.gen(function*() {
      const a = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 7, quiet: true })
      const b = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 7, quiet: true })
      assert.deepStrictEqual(a, b)
      assert.isAbove(a.fills, 0)
      assert.strictEqual(a.canceled, 10) // the grid always keeps 5 + 5 orders resting
      const c = yield* runGridDemo({ ticks: 200, tickMillis: 0, seed: 8, quiet: true })
      assert.notDeepEqual(c, a)
    }))

  it.live("every order it placed is closed or cancelled at the end, and round trips made money", () =>
    Effect.gen(function*() {
      const result = yield* gridBot({ ticks: 300, tickMillis: 0, seed: 42, quiet: true }).pipe(withOrderSession())
      assert.lengthOf(yield* fetchOpenOrders(), 0)
      const orders = yield* fetchAllOrders()
      assert.isTrue(orders.every((o) => o.status === "closed" || o.status === "canceled"))
      assert.isTrue(orders.some((o) => o.side === "buy" && o.status === "closed"))
      assert.isTrue(orders.some((o) => o.side === "sell" && o.status === "closed"))
      assert.isAbove(result.realised, 0)
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 5000 } }))))

  it.effect("it reacts to a fill event it did not cause: a buy filled by someone else's price move gets its sell", () =>
    Effect.gen(function*() {
      // One tick, then a minute's pause on the virtual clock: the bot's own price path stands still.
      const bot = yield* gridBot({ ticks: 1, tickMillis: 60_000, seed: 42, quiet: true }).pipe(withOrderSession(), Effect.forkChild)
      yield* openOrdersUntil((open) => open.length === 10)
      const market = yield* DryRunMarket
      const [filled] = yield* market.setPrice(0.0985) // crosses the top buy, at 0.099
      assert.strictEqual(limit(filled!), "0.099")
      // No call from anyone: the bot learns of the fill from its order events and places the sell one step up.
      const open = yield* openOrdersUntil((open) => open.some((o) => o.side === "sell" && limit(o) === "0.09999"))
      assert.lengthOf(open, 10)
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(bot)
      assert.strictEqual(result.fills, 1)
      assert.strictEqual(result.canceled, 10)
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 5000 } }))))
})

describe("npm start (examples/demo.ts) as a process", () => {
  it.live("SIGTERM stops it as Ctrl-C does: the orders are cancelled, one summary line, nothing on stderr, exit 143", () =>
    Effect.promise(() =>
      new Promise<void>((resolve, reject) => {
        const child = spawn("node_modules/.bin/node", ["examples/demo.ts", "--ticks", "100000", "--tick-ms", "5"], {
          env: { PATH: process.env["PATH"] ?? "", ORDEROPS_LOG_FORMAT: "json" },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (c: Buffer) => {
          stdout += c.toString()
          if (/ filled /.test(stdout) && child.exitCode === null && !child.killed) child.kill("SIGTERM")
        })
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
        child.on("close", (code) => {
          try {
            assert.strictEqual(code, 143, stderr)
            assert.strictEqual(stderr, "")
            assert.match(stdout, /\nStopped: \d+ fills, realised P&L -?\d+\.\d+ USDT; cancelled (9|10) open orders\.\n$/)
            resolve()
          } catch (e) {
            reject(e)
          }
        })
      })
    ), { timeout: 60_000 })
})
