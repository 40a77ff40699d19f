/**
 * The `orderops` command line: commands run in-process through `runCli` (the same
 * code path as the executable, with a `TestConsole`), and as real child processes
 * of `node src/cli/main.ts` for exit codes, JSON output, a dry-run session that
 * carries over between processes, help, secrets, and what gets loaded.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseTime } from "../src/cli/commands.ts"
import { SUPPORTED_NODE, unsupportedNode } from "../src/cli/node-support.ts"
import { exitCodeOf, redactSecrets } from "../src/cli/output.ts"
import { ValidationError } from "../src/index.ts"
import { binanceServer } from "./support/BinanceServer.ts"
import { cli, journalEnv, node, removeTempDirs, type Spawned, spawnCli, tempDir } from "./support/cli.ts"

afterAll(removeTempDirs)

const RECORD_FIELDS = [
  "id",
  "clientOrderId",
  "symbol",
  "side",
  "type",
  "price",
  "triggerPrice",
  "quantity",
  "filled",
  "cost",
  "averagePrice",
  "fees",
  "listId",
  "status",
  "timestamp"
]

// ---- in-process ---------------------------------------------------------------

describe("orderops in-process", () => {
  it.live("price --set moves the dry run's market: crossed orders fill, and the session sees it", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const unset = yield* cli(["price"], env)
      assert.include(unset.out, "Simulated price of HBAR/USDT: not set")
      const buy = JSON.parse((yield* cli(["buy", "--price", "0.095", "--quantity", "100", "--json"], env)).out)
      const moved = yield* cli(["price", "--set", "0.09", "--json"], env)
      assert.strictEqual(moved.code, 0, moved.err)
      const result = JSON.parse(moved.out)
      assert.strictEqual(result.price, 0.09)
      assert.deepStrictEqual(result.filled.map((o: { id: string; status: string }) => [o.id, o.status]), [[buy.id, "closed"]])
      assert.strictEqual(JSON.parse((yield* cli(["orders", "--open", "--json"], env)).out).length, 0)
      assert.include((yield* cli(["balance"], env)).out, "99.9") // 100 HBAR less the 0.1% fee
      assert.include((yield* cli(["price"], env)).out, "Simulated price of HBAR/USDT: 0.09")
      const live = yield* cli(["price", "--live", "--set", "1"], env)
      assert.strictEqual(live.code, 1)
    }))

  it.live("buy --json prints the created record with the library's field names", () =>
    Effect.gen(function*() {
      const r = yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--json"], journalEnv())
      assert.strictEqual(r.code, 0, r.err)
      const record = JSON.parse(r.out)
      assert.deepStrictEqual(Object.keys(record), RECORD_FIELDS)
      assert.include(record, { symbol: "HBAR/USDT", side: "buy", type: "limit", price: "0.09", quantity: "100", status: "open" })
      assert.match(record.id, /^dry_run_/)
    }))

  it.live("a dry-run session carries over between commands through the journal file", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const buy = yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env)
      const sell = yield* cli(["cancel-all", "--side", "sell"], env) // nothing to cancel, no question asked in a dry run
      assert.strictEqual(sell.code, 0, sell.err)
      const open = yield* cli(["orders", "--open", "--json"], env)
      assert.strictEqual(open.code, 0, open.err)
      assert.deepStrictEqual(JSON.parse(open.out).map((o: { id: string }) => o.id), [JSON.parse(buy.out).id])
      const balance = yield* cli(["balance", "--json"], env)
      assert.deepStrictEqual(JSON.parse(balance.out), { venue: "dry-run", symbol: "HBAR/USDT", free: { HBAR: "0", USDT: "991" } })
      const cancelled = yield* cli(["cancel-all", "--side", "buy", "--json"], env)
      assert.deepStrictEqual(JSON.parse(cancelled.out), { canceled: [JSON.parse(buy.out).id] })
      const after = yield* cli(["orders", "--json"], env)
      assert.deepStrictEqual(JSON.parse(after.out).map((o: { status: string }) => o.status), ["canceled"])
    }))

  it.live("stop-loss, take-profit and oco place protective orders on the dry run; a stop that would fire at once is explained", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      yield* cli(["price", "--set", "0.1"], env)
      yield* cli(["buy", "--price", "0.11", "--quantity", "300"], env)
      const stop = yield* cli(["stop-loss", "--trigger", "0.09", "--price", "0.089", "--quantity", "100", "--json"], env)
      assert.strictEqual(stop.code, 0, stop.err)
      assert.include(JSON.parse(stop.out), { type: "stop-loss-limit", side: "sell", status: "open" })
      const profit = yield* cli(["take-profit", "--trigger", "0.12", "--price", "0.12", "--quantity", "100", "--json"], env)
      assert.strictEqual(profit.code, 0, profit.err)
      assert.include(JSON.parse(profit.out), { type: "take-profit-limit" })
      const oco = yield* cli(["oco", "--quantity", "50", "--price", "0.12", "--trigger", "0.09", "--stop-limit", "0.089", "--json"], env)
      assert.strictEqual(oco.code, 0, oco.err)
      const list = JSON.parse(oco.out)
      assert.deepStrictEqual([list.limit.type, list.stop.type], ["limit-maker", "stop-loss-limit"])
      assert.strictEqual(list.limit.listId, list.listId)
      const atOnce = yield* cli(["stop-loss", "--trigger", "0.1", "--price", "0.099", "--quantity", "10"], env)
      assert.strictEqual(atOnce.code, 1)
      assert.include(atOnce.err, "trigger 0.1 would fire at once: the last price 0.1 has already reached it")
      const plain = yield* cli(["stop-loss", "--trigger", "0.09", "--quantity", "10"], env)
      assert.strictEqual(plain.code, 1)
      assert.include(plain.err, "HBAR/USDT takes no stop-loss orders here")
      assert.include(plain.err, "add --price with the limit price once triggered, for a stop-loss-limit")
      const marketStop = yield* cli(["oco", "--quantity", "50", "--price", "0.12", "--trigger", "0.09"], env)
      assert.strictEqual(marketStop.code, 1)
      assert.include(marketStop.err, "add --stop-limit with the limit price once triggered, for a stop-loss-limit")
      const fired = yield* cli(["price", "--set", "0.09", "--json"], env)
      assert.deepStrictEqual(
        JSON.parse(fired.out).filled.map((o: { type: string }) => o.type).sort(),
        ["stop-loss-limit", "stop-loss-limit"]
      )
    }))

  it.live("without --json the output is a readable table", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      yield* cli(["buy", "--price", "0.08", "--quantity", "50"], env)
      const r = yield* cli(["orders"], env)
      const [header, row] = r.out.split("\n")
      assert.match(header!, /^ID\s+SIDE\s+TYPE\s+PRICE\s+TRIGGER\s+QUANTITY\s+FILLED\s+AVG PRICE\s+FEES\s+STATUS\s+TIME/)
      assert.match(row!, /^dry_run_1\s+buy\s+limit\s+0\.08\s+-\s+50\s+0\s+-\s+-\s+open\s+/)
      const balance = yield* cli(["balance"], env)
      assert.match(balance.out, /USDT\s+996/)
    }))

  it.live("trades lists each fill with its fee and role; orders shows the trigger, average price and fees", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      yield* cli(["price", "--set", "0.1"], env)
      const buy = JSON.parse((yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env)).out)
      assert.strictEqual((yield* cli(["trades"], env)).out, "No trades.")
      yield* cli(["price", "--set", "0.085"], env) // the buy fills at its 0.09, as a maker
      const [header, row] = (yield* cli(["trades"], env)).out.split("\n")
      assert.match(header!, /^TRADE ID\s+ORDER ID\s+SIDE\s+PRICE\s+QUANTITY\s+QUOTE\s+FEE\s+ROLE\s+TIME\s+CLIENT ORDER ID$/)
      assert.match(row!, new RegExp(`^\\S+\\s+${buy.id}\\s+buy\\s+0\\.09\\s+100\\s+9\\s+0\\.1 HBAR\\s+maker\\s+.*${buy.clientOrderId}$`))
      const [trade] = JSON.parse((yield* cli(["trades", "--json"], env)).out)
      assert.deepInclude(trade, { orderId: buy.id, clientOrderId: buy.clientOrderId, side: "buy", price: "0.09", quantity: "100" })
      assert.deepInclude(trade, { quoteQuantity: "9", fee: "0.1", feeAsset: "HBAR", maker: true })
      const orders = (yield* cli(["orders"], env)).out.split("\n")
      assert.match(orders[1]!, /^dry_run_1\s+buy\s+limit\s+0\.09\s+-\s+100\s+100\s+0\.09\s+0\.1 HBAR\s+closed\s+/)
      const [listed] = JSON.parse((yield* cli(["orders", "--json"], env)).out)
      assert.deepInclude(listed, { cost: "9", averagePrice: "0.09", fees: { HBAR: "0.1" }, triggerPrice: null, listId: null })
      assert.strictEqual((yield* cli(["trades", "--since", "2030-01-01", "--until", "2029-01-01"], env)).code, 1)
    }))

  it.live("a refused order exits 1 with one line saying what was typed and what it became; nothing is placed", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["buy", "--price", "0.1", "--quantity", "0.5"], "quantity 0.5 rounds to 0 at step 1 (minimum 1)"],
        [["buy", "--price", "0.1", "--quantity", "0"], "quantity 0 must be above 0"],
        [["buy", "--price", "0.000001", "--quantity", "100"], "price 0.000001 rounds to 0 at tick 0.00001 (minimum 0.00001)"],
        [["sell", "--price", "0.1", "--quantity", "5"], "price 0.1 × quantity 5 = 0.5 USDT (minimum 1 USDT)"],
        [["buy", "--price", "0.0050009", "--quantity", "100.5"], "price 0.0050009 (0.005 at tick 0.00001) × quantity 100.5 (100 at step 1) = 0.5 USDT (minimum 1 USDT)"],
        [["buy", "--price", "abc", "--quantity", "1"], `price "abc" is not a decimal number`]
      ]
      for (const [args, said] of cases) {
        const r = yield* cli(args, env)
        assert.strictEqual(r.code, 1, args.join(" "))
        assert.strictEqual(r.out, "")
        assert.strictEqual(r.err, `orderops: invalid input: ${said}`)
      }
      const orders = yield* cli(["orders", "--json"], env)
      assert.deepStrictEqual(JSON.parse(orders.out), [])
    }))

  it.live("a command line that does not parse: one line on stderr pointing at the help, nothing on stdout, exit 1", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
        [["buy", "--quantity", "1"], "see orderops buy --help"],
        [["orders", "--since", "yesterday"], "see orderops orders --help"],
        [["cancel-all", "--side", "sideways"], "see orderops cancel-all --help"],
        [["paper", "fund", "USDT"], "see orderops paper fund --help"],
        [["frobnicate"], "see orderops --help"]
      ]
      for (const [args, ending] of cases) {
        const r = yield* cli(args, env)
        assert.strictEqual(r.code, 1, args.join(" "))
        assert.strictEqual(r.out, "", args.join(" "))
        assert.notInclude(r.err, "\n", args.join(" "))
        assert.match(r.err, /^orderops: usage: /)
        assert.isTrue(r.err.endsWith(ending), r.err)
      }
      assert.include((yield* cli(["orders", "--since", "yesterday"], env)).err, `"yesterday" is not a time`)
    }))

  it.live("cancel-all --side both cancels both sides, as the help says", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      assert.strictEqual((yield* cli(["paper", "fund", "HBAR", "100"], env)).code, 0)
      const buy = JSON.parse((yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env)).out)
      const sell = JSON.parse((yield* cli(["sell", "--price", "0.2", "--quantity", "100", "--json"], env)).out)
      const r = yield* cli(["cancel-all", "--side", "both", "--json"], env)
      assert.strictEqual(r.code, 0, r.err)
      assert.deepStrictEqual(JSON.parse(r.out), { canceled: [buy.id, sell.id] })
      assert.include((yield* cli(["cancel-all", "--help"], env)).out, "both")
    }))

  it.live("the paper account: shown with what a fresh one holds, funded, reset (history stays)", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const fresh = yield* cli(["paper"], env)
      assert.strictEqual(fresh.code, 0, fresh.err)
      assert.match(fresh.out, /^ASSET\s+FREE\nHBAR\s+0\nUSDT\s+1000$/m)
      assert.include(fresh.out, "A fresh paper account holds 1000 USDT and nothing else.")
      assert.strictEqual((yield* cli(["paper", "fund", "hbar", "250.5"], env)).code, 0)
      const funded = yield* cli(["paper", "fund", "USDT", "0.1"], env)
      assert.strictEqual(funded.out, "Funded 0.1 USDT: free USDT 1000 -> 1000.1 (dry run)")
      assert.deepStrictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free, { HBAR: "250.5", USDT: "1000.1" })
      const buy = JSON.parse((yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env)).out)
      const sell = JSON.parse((yield* cli(["sell", "--price", "0.2", "--quantity", "100", "--json"], env)).out)
      const btc = JSON.parse((yield* cli(["--symbol", "BTC/USDT", "buy", "--price", "20000", "--quantity", "0.001", "--json"], env)).out)
      const reset = yield* cli(["paper", "reset", "--json"], env)
      assert.strictEqual(reset.code, 0, reset.err)
      assert.deepStrictEqual(JSON.parse(reset.out), { canceled: [buy.id, sell.id, btc.id], free: { USDT: "1000" } })
      assert.deepStrictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free, { HBAR: "0", USDT: "1000" })
      const history = JSON.parse((yield* cli(["orders", "--json"], env)).out)
      assert.deepStrictEqual(history.map((o: { id: string; status: string }) => [o.id, o.status]), [[buy.id, "canceled"], [sell.id, "canceled"]])
      for (const bad of [["paper", "fund", "HBAR", "-1"], ["paper", "fund", "HBAR", "ten"], ["--live", "paper"], ["--live", "paper", "reset"]]) {
        assert.strictEqual((yield* cli(bad, env)).code, 1, bad.join(" "))
      }
    }))

  it.live("other symbols in a dry run: built-in Binance.US rules, or rules given on the command line", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const btc = yield* cli(["--symbol", "BTC/USDT", "buy", "--price", "50000.129", "--quantity", "0.0012345", "--json"], env)
      assert.strictEqual(btc.code, 0, btc.err)
      assert.include(JSON.parse(btc.out), { symbol: "BTC/USDT", price: "50000.12", quantity: "0.00123" })
      const unknown = yield* cli(["--symbol", "DOGE/USDT", "balance"], env)
      assert.strictEqual(unknown.code, 1)
      assert.include(unknown.err, "no built-in rules for DOGE/USDT: give --tick and --step")
      const rules = ["--symbol", "DOGE/USDT", "--tick", "0.00001", "--step", "1", "--min-notional", "1"]
      const small = yield* cli([...rules, "buy", "--price", "0.1", "--quantity", "5"], env)
      assert.strictEqual(small.err, "orderops: invalid input: price 0.1 × quantity 5 = 0.5 USDT (minimum 1 USDT)")
      const doge = yield* cli([...rules, "buy", "--price", "0.123456", "--quantity", "20.7", "--json"], env)
      assert.strictEqual(doge.code, 0, doge.err)
      assert.include(JSON.parse(doge.out), { symbol: "DOGE/USDT", price: "0.12345", quantity: "20" })
      const live = yield* cli(["--live", "--tick", "1", "balance"], env)
      assert.strictEqual(live.code, 1)
      assert.include(live.err, "for the dry run")
      const badTick = yield* cli(["--symbol", "DOGE/USDT", "--tick", "x", "--step", "1", "balance"], env)
      assert.strictEqual(badTick.code, 1)
      assert.match(badTick.err, /--tick.*; see orderops balance --help$/)
    }))

  it.live("exchange and journal failures exit 2 with the reason", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const funds = yield* cli(["sell", "--price", "0.1", "--quantity", "100"], env)
      assert.strictEqual(funds.code, 2)
      assert.include(funds.err, "InsufficientFunds")
      const unknown = yield* cli(["cancel", "dry_run_404"], env)
      assert.strictEqual(unknown.code, 2)
      assert.include(unknown.err, "OrderNotFound")
      const market = yield* cli(["market-sell", "--quantity", "10"], env)
      assert.strictEqual(market.code, 2)
      const dir = tempDir()
      writeFileSync(join(dir, "not-a-db"), "hello, this is not SQLite")
      const journal = yield* cli(["balance"], { ORDEROPS_JOURNAL: join(dir, "not-a-db") })
      assert.strictEqual(journal.code, 2)
      assert.include(journal.err, "journal error")
    }))

  it.live("sell-all in a dry run: dust is reported, not an error", () =>
    Effect.gen(function*() {
      const r = yield* cli(["sell-all", "--json"], journalEnv())
      assert.strictEqual(r.code, 0, r.err)
      assert.strictEqual(r.out, "null")
    }))

  it.live("--help works at every level", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      for (const args of [["--help"], ["paper", "fund", "--help"], ["paper", "reset", "--help"], ...["buy", "sell", "market-sell", "cancel", "cancel-all", "orders", "balance", "sell-all", "price", "paper", "demo"].map((c) => [c, "--help"])]) {
        const r = yield* cli(args, env)
        assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.err}`)
        assert.include(r.out, "USAGE", args.join(" "))
      }
      const bare = yield* cli([], env)
      assert.strictEqual(bare.code, 0)
      assert.include(bare.out, "USAGE")
      const root = yield* cli(["--help"], env)
      for (const c of ["buy", "sell", "market-sell", "cancel", "cancel-all", "orders", "balance", "sell-all", "price", "paper", "demo"]) {
        assert.include(root.out, c)
      }
      for (const f of ["--symbol", "--live", "--json", "--yes"]) assert.include(root.out, f)
    }))

  it.live("a live cancel-all asks first: declined exits 1 and cancels nothing; --yes skips the question", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({
        apiKey: "cli-key-0123456789",
        secret: "cli-secret-0123456789",
        balances: { USDT: "1000" },
        prices: { HBARUSDT: "0.1" }
      })
      const env = {
        ...journalEnv(),
        ORDEROPS_API_KEY: "cli-key-0123456789",
        ORDEROPS_API_SECRET: "cli-secret-0123456789",
        ORDEROPS_BASE_URL: server.url
      }
      const placed = yield* cli(["--live", "buy", "--price", "0.05", "--quantity", "100", "--json"], env)
      assert.strictEqual(placed.code, 0, placed.err)
      assert.strictEqual(server.openOrders().length, 1)
      const declined = yield* cli(["--live", "cancel-all", "--side", "buy"], env, false)
      assert.strictEqual(declined.code, 1)
      assert.include(declined.err, "not confirmed")
      assert.strictEqual(server.openOrders().length, 1)
      const yes = yield* cli(["--live", "cancel-all", "--side", "buy", "--yes", "--json"], env)
      assert.strictEqual(yes.code, 0, yes.err)
      assert.deepStrictEqual(JSON.parse(yes.out), { canceled: [JSON.parse(placed.out).id] })
      assert.strictEqual(server.openOrders().length, 0)
      const confirmed = yield* cli(["--live", "sell-all"], env, true)
      assert.strictEqual(confirmed.code, 0, confirmed.err)
      assert.include(confirmed.out, "dust")
      // One-shot commands open no user data stream (and run no order-events polls).
      assert.deepStrictEqual(server.requestLog().filter((r) => r.path === "/api/v3/userDataStream"), [])
    }), { timeout: 30_000 })

  it.live("the README's testnet recipe: ORDEROPS_EXCHANGE=binance and ORDEROPS_BASE_URL trade through Binance's spot endpoints only", () =>
    Effect.gen(function*() {
      const server = yield* binanceServer({
        apiKey: "testnet-key-0123456789",
        secret: "testnet-secret-0123456789",
        balances: { USDT: "1000" },
        prices: { BTCUSDT: "30000" }
      })
      const env = {
        ...journalEnv(),
        ORDEROPS_EXCHANGE: "binance",
        ORDEROPS_BASE_URL: server.url,
        ORDEROPS_API_KEY: "testnet-key-0123456789",
        ORDEROPS_API_SECRET: "testnet-secret-0123456789"
      }
      const balance = yield* cli(["--live", "--symbol", "BTC/USDT", "balance", "--json"], env)
      assert.strictEqual(balance.code, 0, balance.err)
      assert.deepStrictEqual(JSON.parse(balance.out), { venue: "binance", symbol: "BTC/USDT", free: { BTC: "0", USDT: "1000" } })
      const buy = yield* cli(["--live", "--symbol", "BTC/USDT", "buy", "--price", "20000", "--quantity", "0.001", "--json"], env)
      assert.strictEqual(buy.code, 0, buy.err)
      assert.deepStrictEqual(server.openOrders().map((o) => Number(o.price)), [20000])
      // Spot endpoints only: no futures exchangeInfo, margin pairs or wallet currencies, which a spot testnet lacks.
      assert.deepStrictEqual(server.requestLog().filter((r) => !r.path.startsWith("/api/v3/")).map((r) => r.path), [])
    }), { timeout: 30_000 })

  it.live("the demo refuses --live", () =>
    Effect.gen(function*() {
      const r = yield* cli(["demo", "--live"], journalEnv())
      assert.strictEqual(r.code, 1)
      assert.include(r.err, "paper exchange only")
    }))
})

describe("CLI helpers", () => {
  it("parseTime takes epoch ms, ISO dates and ages", () => {
    const now = Date.UTC(2025, 0, 31, 12)
    assert.strictEqual(parseTime("1700000000000", now), 1700000000000)
    assert.strictEqual(parseTime("2025-01-31T11:00:00Z", now), Date.UTC(2025, 0, 31, 11))
    assert.strictEqual(parseTime("24h", now), now - 86_400_000)
    assert.strictEqual(parseTime("30m", now), now - 1_800_000)
    assert.throws(() => parseTime("yesterday", now), /not a time/)
  })

  it("redactSecrets removes every configured secret", () => {
    const env = { ORDEROPS_API_KEY: "KEY-abcdef", ORDEROPS_API_SECRET: "SECRET-123456" }
    assert.strictEqual(redactSecrets("k=KEY-abcdef s=SECRET-123456 SECRET-123456", env), "k=<redacted> s=<redacted> <redacted>")
  })

  it("exit codes: bad input 1, everything else 2", () => {
    assert.strictEqual(exitCodeOf(new ValidationError({ operation: "x", symbol: "s", rule: "NotPositive", field: "price", value: "0" })), 1)
    assert.strictEqual(exitCodeOf({ _tag: "NetworkError" }), 2)
    assert.strictEqual(exitCodeOf(new Error("boom")), 2)
  })
})

// ---- child processes ----------------------------------------------------------

/** Runs a long demo, does `act` once its stdout matches `trigger`, and gives the outcome. */
const demoUntil = (trigger: RegExp, act: (child: ChildProcess) => void) =>
  Effect.promise(() =>
    new Promise<Spawned>((resolve) => {
      const child: ChildProcess = spawn(node, ["src/cli/main.ts", "demo", "--ticks", "100000", "--tick-ms", "5"], {
        env: { PATH: process.env["PATH"] ?? "", ...journalEnv() },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      let acted = false
      child.stdout!.on("data", (c: Buffer) => {
        stdout += c.toString()
        if (!acted && trigger.test(stdout)) {
          acted = true
          act(child)
        }
      })
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()))
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
  )

/** The module URLs a CLI run resolved, recorded by test/support/record-modules.ts. */
const modulesLoadedBy = (args: ReadonlyArray<string>, env: Record<string, string>, nodeArgs: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const file = join(tempDir(), "modules.txt")
    const run = yield* spawnCli(args, { ...env, ORDEROPS_RECORD_MODULES: file }, ["--import", "./test/support/record-modules.ts", ...nodeArgs])
    return { run, modules: readFileSync(file, "utf8").split("\n") }
  })

const isCcxt = (url: string) => url.includes("/node_modules/ccxt/")

describe("orderops as a process", () => {
  it.live("exit codes, --json, and a session that carries over to a new process", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const buy = yield* spawnCli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env)
      assert.strictEqual(buy.code, 0, buy.stderr)
      const created = JSON.parse(buy.stdout)
      const open = yield* spawnCli(["orders", "--open", "--json"], env)
      assert.strictEqual(open.code, 0, open.stderr)
      const listed = JSON.parse(open.stdout)
      assert.deepStrictEqual(listed, [created])
      assert.deepStrictEqual(Object.keys(listed[0]), RECORD_FIELDS)
      const bad = yield* spawnCli(["buy", "--price", "0.09", "--quantity", "-5"], env)
      assert.strictEqual(bad.code, 1)
      assert.strictEqual(bad.stderr, "orderops: invalid input: quantity -5 must be above 0\n")
      const parse = yield* spawnCli(["cancel-all", "--side", "sideways"], env)
      assert.strictEqual(parse.code, 1)
      assert.strictEqual(parse.stdout, "")
      assert.match(parse.stderr, /^orderops: usage: [^\n]*; see orderops cancel-all --help\n$/)
      const refused = yield* spawnCli(["sell", "--price", "0.2", "--quantity", "100"], env)
      assert.strictEqual(refused.code, 2)
      assert.include(refused.stderr, "InsufficientFunds")
      const help = yield* spawnCli(["orders", "--help"], env)
      assert.strictEqual(help.code, 0)
      assert.include(help.stdout, "--since")
    }), { timeout: 60_000 })

  it.live("no output contains a secret, even when a live run fails with debug logs on", () =>
    Effect.gen(function*() {
      const key = "KEYMARKER-5a1e7c"
      const secret = "SECRETMARKER-9f3b2d"
      const env = { ...journalEnv(), ORDEROPS_API_KEY: key, ORDEROPS_API_SECRET: secret, ORDEROPS_BASE_URL: "http://127.0.0.1:1" }
      const runs = [["--live", "balance", "--log-level", "debug"], ["--live", "buy", "--price", "0.1", "--quantity", "100", "--log-level", "all"], ["--live", "sell-all", "--yes"]]
      // The three runs wait out their retries side by side (each process is independent).
      const results = yield* Effect.forEach(runs, (args) => spawnCli(args, env), { concurrency: "unbounded" })
      results.forEach((r, i) => {
        assert.strictEqual(r.code, 2, `${runs[i]!.join(" ")}: ${r.stderr}`)
        assert.include(r.stderr, "network error")
        for (const text of [r.stdout, r.stderr]) {
          assert.notInclude(text, key)
          assert.notInclude(text, secret)
        }
      })
      // A live sell-all with nobody to ask and no --yes is refused before connecting.
      const refused = yield* spawnCli(["--live", "sell-all"], env)
      assert.strictEqual(refused.code, 1)
      assert.include(refused.stderr, "--yes")
    }), { timeout: 120_000 }) // each live command waits out the retries of a refused connection (about 6 s; run side by side)

  it.live("the dry-run path never loads ccxt; --live does", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      for (const args of [["--help"], ["balance"], ["orders", "--json"], ["buy", "--price", "0.05", "--quantity", "100"]]) {
        const { modules, run } = yield* modulesLoadedBy(args, env)
        assert.strictEqual(run.code, 0, run.stderr)
        assert.isAbove(modules.length, 50) // the recorder saw the program load
        assert.deepStrictEqual(modules.filter(isCcxt), [], args.join(" "))
      }
      // The control: a live run loads ccxt, and the recorder sees it.
      const live = yield* modulesLoadedBy(["--live", "balance"], {
        ...env,
        ORDEROPS_API_KEY: "k-123456",
        ORDEROPS_API_SECRET: "s-123456",
        ORDEROPS_BASE_URL: "http://127.0.0.1:1"
      })
      assert.strictEqual(live.run.code, 2)
      assert.isNotEmpty(live.modules.filter(isCcxt))
    }), { timeout: 60_000 })

  it.live("orderops demo runs to the end by itself; Ctrl-C (exit 130) and SIGTERM (exit 143) cancel its orders and print one summary line", () =>
    Effect.gen(function*() {
      const done = yield* spawnCli(["demo", "--ticks", "40", "--tick-ms", "1"], journalEnv())
      assert.strictEqual(done.code, 0, done.stderr)
      assert.match(done.stdout, /^Paper account: 1000 USDT and 5000 HBAR\nGrid: 5 buys and 5 sells/)
      assert.include(done.stdout, "tick 40/40")
      assert.match(done.stdout, /Done: \d+ fills, realised P&L -?\d+\.\d+ USDT; cancelled \d+ open orders\.\n$/)

      // Ctrl-C once the grid is placed and a fill shows it trading.
      const interrupted = yield* demoUntil(/ filled /, (child) => child.kill("SIGINT"))
      assert.strictEqual(interrupted.code, 130, interrupted.stderr)
      assert.strictEqual(interrupted.stderr, "")
      // Its grid is 10 orders; a fill's reaction (the opposite order) may not be placed yet when Ctrl-C lands.
      assert.match(interrupted.stdout, /\nStopped: \d+ fills, realised P&L -?\d+\.\d+ USDT; cancelled (9|10) open orders\.\n$/)

      // SIGTERM (a service manager's stop, `kill`) cancels the same way and exits 143.
      const terminated = yield* demoUntil(/ filled /, (child) => child.kill("SIGTERM"))
      assert.strictEqual(terminated.code, 143, terminated.stderr)
      assert.strictEqual(terminated.stderr, "")
      assert.match(terminated.stdout, /\nStopped: \d+ fills, realised P&L -?\d+\.\d+ USDT; cancelled (9|10) open orders\.\n$/)
    }), { timeout: 60_000 })

  it.live("piping into head ends quietly: no EPIPE stack trace, nothing on stderr, exit 0", () =>
    Effect.gen(function*() {
      // The reader goes away after the first line, as `orderops demo | head -1` does.
      const piped = yield* demoUntil(/\n/, (child) => child.stdout!.destroy())
      assert.strictEqual(piped.code, 0, piped.stderr)
      assert.strictEqual(piped.stderr, "")
    }), { timeout: 60_000 })
})

describe("orderops on the Node it runs on", () => {
  it("package.json engines declares the versions the start-up check accepts", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    assert.strictEqual(pkg.engines.node, SUPPORTED_NODE)
    for (const ok of ["22.19.0", "v22.20.1", "24.0.0", "25.2.0"]) assert.isUndefined(unsupportedNode(ok), ok)
    for (const old of ["22.13.0", "22.18.9", "23.11.0", "20.19.0", "18.0.0"]) assert.include(unsupportedNode(old), "needs Node.js 22.19", old)
  })

  it.live("on an older Node it prints one line and exits 2 before loading anything else", () =>
    Effect.gen(function*() {
      const fake = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"22.13.0"})`
      const { modules, run } = yield* modulesLoadedBy(["balance"], journalEnv(), ["--import", fake])
      assert.strictEqual(run.code, 2)
      assert.strictEqual(run.stdout, "")
      assert.strictEqual(run.stderr, "orderops: needs Node.js 22.19 or later (22.x from 22.19, or 24 and later); this is Node.js 22.13.0\n")
      assert.deepStrictEqual(modules.filter((url) => url.includes("/node_modules/")), []) // not even effect
    }))

  it.live("Node's SQLite ExperimentalWarning is kept out, other warnings are not", () =>
    Effect.gen(function*() {
      const script = `import { quietSqliteWarning } from "./src/cli/node-support.ts"
quietSqliteWarning()
process.emitWarning("SQLite is an experimental feature and might change at any time", "ExperimentalWarning")
process.emitWarning("Something else is experimental", "ExperimentalWarning")
process.emitWarning("a deprecation", { type: "DeprecationWarning", code: "DEP0" })`
      const run = yield* Effect.promise(() =>
        new Promise<Spawned>((resolve) => {
          const child = spawn(node, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] })
          let stdout = ""
          let stderr = ""
          child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
          child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
          child.on("close", (code) => resolve({ code, stdout, stderr }))
        })
      )
      assert.strictEqual(run.code, 0, run.stderr)
      assert.notInclude(run.stderr, "SQLite")
      assert.include(run.stderr, "ExperimentalWarning: Something else is experimental")
      assert.include(run.stderr, "DeprecationWarning: a deprecation")
    }))
})
