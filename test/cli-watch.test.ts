/**
 * `orderops watch`: its line and JSON formats, and the command as real child
 * processes of `node src/cli/main.ts`: in a dry run beside other `orderops`
 * processes that place and fill orders on the same journal file, and live on the
 * loopback Binance.US server, whose fills reach it through the user data stream as
 * they happen. Ctrl-C ends it quietly.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Option } from "effect"
import { eventLine, jsonLine, sourceLine } from "../src/cli/watch.ts"
import { acceptedOrder } from "../src/services/OrderRecord.ts"
import { binanceServer } from "./support/BinanceServer.ts"

const dirs: Array<string> = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
const journalEnv = () => {
  const dir = mkdtempSync(join(tmpdir(), "orderops-watch-"))
  dirs.push(dir)
  return { ORDEROPS_JOURNAL: join(dir, "journal.sqlite") }
}

/** The fields of an order record in `--json` output, in order. */
const RECORD_FIELDS = [
  "id", "clientOrderId", "symbol", "side", "type", "price", "triggerPrice", "quantity", "filled", "cost", "averagePrice", "fees", "listId",
  "status", "timestamp"
]

describe("watch's output", () => {
  it("watch prints an event as one line: tag, order, status, filled/quantity, and a fill's trade with its fee and role", () => {
    const d = (s: string) => BigDecimal.fromStringUnsafe(s)
    const at = Date.UTC(2026, 0, 31, 12)
    const order = acceptedOrder({
      id: "dry_run_7", clientOrderId: "oo_abc_1", symbol: "HBAR/USDT", side: "buy", type: "limit",
      price: Option.some(d("0.095")), quantity: d("100"), timestamp: at
    })
    assert.strictEqual(eventLine({ _tag: "Accepted", order }, at), "2026-01-31 12:00:00Z  Accepted         dry_run_7  oo_abc_1  buy limit at 0.095  open  0/100")
    const filled = { ...order, filled: d("60"), cost: d("5.7"), fees: { HBAR: d("0.06") } }
    const trade = {
      id: "dry_run_t_3", orderId: "dry_run_7", clientOrderId: "oo_abc_1", side: "buy" as const, price: d("0.095"), quantity: d("60"),
      quoteQuantity: d("5.7"), fee: d("0.06"), feeAsset: "HBAR", maker: true, timestamp: at
    }
    assert.strictEqual(
      eventLine({ _tag: "PartiallyFilled", order: filled, trade: Option.some(trade) }, at),
      "2026-01-31 12:00:00Z  PartiallyFilled  dry_run_7  oo_abc_1  buy limit at 0.095  open  60/100  trade 60 at 0.095, fee 0.06 HBAR, maker"
    )
    assert.strictEqual(sourceLine("polling", at), "2026-01-31 12:00:00Z  event source: polling")
    const json = JSON.parse(jsonLine({ _tag: "Event", event: { _tag: "PartiallyFilled", order: filled, trade: Option.some(trade) } }))
    assert.include(json, { _tag: "PartiallyFilled" })
    assert.deepStrictEqual(Object.keys(json.order), RECORD_FIELDS) // as orders --json writes a record
    assert.include(json.order, { id: "dry_run_7", filled: "60", price: "0.095", triggerPrice: null, status: "open" })
    assert.include(json.trade, { price: "0.095", quantity: "60", fee: "0.06", feeAsset: "HBAR", maker: true })
    assert.deepStrictEqual(JSON.parse(jsonLine({ _tag: "Source", state: "connected" })), { _tag: "EventSource", state: "connected" })
  })
})

// ---- child processes ----------------------------------------------------------

interface Exited {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const node = "node_modules/.bin/node"

/** A long-running `orderops` child (`watch`) for the scope: a wait for its output, and Ctrl-C. Killed if still running when the scope ends. */
const startCli = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(Effect.sync(() => spawnLong(args, env)), (long) => Effect.sync(() => long.kill()))

const spawnLong = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(node, ["src/cli/main.ts", ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const waiters = new Set<() => void>()
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString()
    for (const w of waiters) w()
  })
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
  const closed = new Promise<Exited>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })))
  return {
    /** Waits until stdout matches `pattern` (fails after `ms`, showing what was printed). */
    waitFor: (pattern: RegExp, ms = 20_000) =>
      Effect.promise(() =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (!pattern.test(stdout)) return
            waiters.delete(check)
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(() => {
            waiters.delete(check)
            reject(new Error(`no ${pattern} within ${ms} ms; stdout:\n${stdout}\nstderr:\n${stderr}`))
          }, ms)
          waiters.add(check)
          check()
        })
      ),
    closed: Effect.promise(() => closed),
    interrupt: () => Effect.promise(() => (child.kill("SIGINT"), closed)),
    kill: () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")
  }
}

/** Runs one command line to its end. */
const run = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.flatMap(startCli(args, env), (child) => child.closed).pipe(Effect.scoped)

describe("orderops watch as a process", () => {
  it.live("orderops watch in a dry run prints the events of orders other orderops processes place and fill; Ctrl-C ends it quietly", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const before = JSON.parse((yield* run(["buy", "--price", "0.095", "--quantity", "100", "--json"], env)).stdout)
      const watcher = yield* startCli(["watch", "--json"], env)
      const reader = yield* startCli(["watch"], env) // a second watcher, for people
      yield* watcher.waitFor(/"_tag":"EventSource"/)
      yield* reader.waitFor(/event source: polling\n/)
      const after = JSON.parse((yield* run(["buy", "--price", "0.094", "--quantity", "50", "--json"], env)).stdout)
      yield* watcher.waitFor(new RegExp(`"_tag":"Accepted","order":\\{"id":"${after.id}"`))
      const moved = yield* run(["price", "--set", "0.09"], env)
      assert.strictEqual(moved.code, 0, moved.stderr)
      yield* watcher.waitFor(/"_tag":"Filled"[\s\S]*"_tag":"Filled"/) // both buys
      const done = yield* watcher.interrupt()
      assert.strictEqual(done.code, 130)
      assert.strictEqual(done.stderr, "")
      const lines = done.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))
      const fills = lines.filter((e) => e._tag === "Filled")
      assert.deepStrictEqual(fills.map((e) => e.order.id).sort(), [before.id, after.id].sort())
      for (const fill of fills) {
        assert.include(fill.order, { status: "closed", filled: fill.order.quantity })
        assert.include(fill.trade, { orderId: fill.order.id, price: fill.order.price, quantity: fill.order.quantity, feeAsset: "HBAR", maker: true })
      }
      assert.deepStrictEqual(lines[0], { _tag: "EventSource", state: "polling" })

      yield* reader.waitFor(/Filled[\s\S]*Filled/)
      const read = yield* reader.interrupt()
      assert.strictEqual(read.code, 130)
      assert.strictEqual(read.stderr, "")
      assert.match(read.stdout, /^Watching order events on HBAR\/USDT \(dry run\); Ctrl-C stops\.\n\S+ \S+Z  event source: polling\n/)
      assert.match(
        read.stdout,
        new RegExp(`Z  Filled {11}${before.id}  ${before.clientOrderId}  buy limit at 0\\.095  closed  100/100  trade 100 at 0\\.095, fee 0\\.1 HBAR, maker\n`)
      )
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("orderops watch --live prints the exchange's fills as they happen: a partial fill and the rest, each with its trade", () =>
    Effect.gen(function*() {
      const keys = { apiKey: "watch-key-0123456789", secret: "watch-secret-0123456789" }
      const server = yield* binanceServer({ ...keys, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" }, feeRate: "0.001" })
      const env = { ...journalEnv(), ORDEROPS_BASE_URL: server.url, ORDEROPS_API_KEY: keys.apiKey, ORDEROPS_API_SECRET: keys.secret }
      const watcher = yield* startCli(["--live", "watch", "--json"], env)
      yield* watcher.waitFor(/"_tag":"EventSource","state":"connected"/)
      const buy = JSON.parse((yield* run(["--live", "buy", "--price", "0.09", "--quantity", "100", "--json"], env)).stdout)
      yield* watcher.waitFor(new RegExp(`"_tag":"Accepted","order":\\{"id":"${buy.id}"`))
      server.fillOrder("HBARUSDT", { orderId: Number(buy.id) }, "40")
      yield* watcher.waitFor(/"_tag":"PartiallyFilled"/)
      server.fillOrder("HBARUSDT", { orderId: Number(buy.id) })
      yield* watcher.waitFor(/"_tag":"Filled"/)
      const done = yield* watcher.interrupt()
      assert.strictEqual(done.code, 130)
      assert.strictEqual(done.stderr, "")
      const events = done.stdout.trimEnd().split("\n").map((l) => JSON.parse(l)).filter((e) => e._tag !== "EventSource")
      assert.deepStrictEqual(events.map((e) => [e._tag, e.order.id, e.order.filled]), [
        ["Accepted", buy.id, "0"],
        ["PartiallyFilled", buy.id, "40"],
        ["Filled", buy.id, "100"]
      ])
      assert.deepStrictEqual(events.slice(1).map((e) => [e.trade.quantity, e.trade.price, e.trade.fee, e.trade.feeAsset]), [
        ["40", "0.09", "0.04", "HBAR"],
        ["60", "0.09", "0.06", "HBAR"]
      ])
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
