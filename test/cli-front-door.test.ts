/**
 * The `orderops` command as a new user meets it: readable log lines (one per
 * record, or JSON), a retried failure said at WARN with its wait, symbols typed
 * any way, a flag left without its value, the paper account in one place whatever
 * the current folder, starting balances, and amounts kept exactly as printed.
 */
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { homeFolder } from "../src/cli/home.ts"
import { normalizeSymbol } from "../src/cli/symbols.ts"
import { binanceServer } from "./support/BinanceServer.ts"
import { cli, journalEnv, removeTempDirs, spawnCli, tempDir } from "./support/cli.ts"

afterAll(removeTempDirs)

/** `2026-01-31T12:00:00.000Z INFO  message  key=value ...` */
const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) +\S/

describe("log lines a person can read", () => {
  it.live("one line per record: time, level, message, then the annotations", () =>
    Effect.gen(function*() {
      const r = yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--log-level", "info", "--json"], journalEnv())
      assert.strictEqual(r.code, 0, r.err)
      const lines = r.err.split("\n")
      for (const line of lines) assert.match(line, LINE)
      const created = lines.find((l) => l.includes("Created limit buy order"))
      assert.match(created!, /Z INFO  Created limit buy order: HBAR\/USDT at 0\.09 for 100  symbol=HBAR\/USDT venue=dry-run orderId=dry_run_1 clientOrderId=oo_\S+$/)
      assert.notInclude(r.err, "fiber")
      assert.strictEqual(JSON.parse(r.out).id, "dry_run_1") // stdout keeps the result alone
    }))

  it.live("--log-format json, or ORDEROPS_LOG_FORMAT=json: one JSON object per line", () =>
    Effect.gen(function*() {
      const byFlag = yield* cli(["--log-format", "json", "buy", "--price", "0.09", "--quantity", "100", "--log-level", "info"], journalEnv())
      const byEnv = yield* cli(["buy", "--price", "0.09", "--quantity", "100", "--log-level", "info"], { ...journalEnv(), ORDEROPS_LOG_FORMAT: "json" })
      for (const r of [byFlag, byEnv]) {
        assert.strictEqual(r.code, 0, r.err)
        const records = r.err.split("\n").map((l) => JSON.parse(l))
        const created = records.find((o) => o.message.startsWith("Created limit buy order"))
        assert.deepStrictEqual(Object.keys(created), ["time", "level", "message", "annotations"])
        assert.include(created, { level: "INFO" })
        assert.include(created.annotations, { symbol: "HBAR/USDT", venue: "dry-run", orderId: "dry_run_1" })
        assert.isFalse(Number.isNaN(Date.parse(created.time)))
      }
      // The command's own failure line is a record too: every stderr line of a JSON run is JSON.
      const refused = yield* cli(["--log-format", "json", "sell", "--price", "0.1", "--quantity", "100"], journalEnv())
      assert.strictEqual(refused.code, 2)
      const failure = refused.err.split("\n").map((l) => JSON.parse(l)).at(-1)
      assert.include(failure, { level: "ERROR" })
      assert.match(failure.message, /^exchange error: .*InsufficientFunds/)
      assert.deepStrictEqual(failure.annotations, { kind: "exchange error" })
      const bad = yield* cli(["balance"], { ...journalEnv(), ORDEROPS_LOG_FORMAT: "yaml" })
      assert.strictEqual(bad.code, 1)
      assert.include(bad.err, `ORDEROPS_LOG_FORMAT is "yaml": use line or json`)
    }))

  it.live("a failure the library retries is a WARN line with the request and the wait; one that reaches the command is its error", () =>
    Effect.gen(function*() {
      const keys = { apiKey: "retry-key-0123456789", secret: "retry-secret-0123456789" }
      const server = yield* binanceServer({ ...keys, balances: { USDT: "1000" }, prices: { HBARUSDT: "0.1" } })
      const env = { ...journalEnv(), ORDEROPS_API_KEY: keys.apiKey, ORDEROPS_API_SECRET: keys.secret, ORDEROPS_BASE_URL: server.url }
      server.status5xx(503, { method: "POST", path: "/api/v3/order", binanceBody: true })
      const placed = yield* cli(["--live", "buy", "--price", "0.09", "--quantity", "100", "--json"], env)
      assert.strictEqual(placed.code, 0, placed.err)
      assert.strictEqual(server.openOrders().length, 1) // sent again after the 503, once
      const lines = placed.err.split("\n")
      assert.isTrue(lines.some((l) => /Z WARN  503 on POST \/api\/v3\/order; retry 1 of 5 in \d+ ms  .*symbol=HBAR\/USDT/.test(l)), placed.err)
      assert.isFalse(lines.some((l) => / ERROR /.test(l)), placed.err)

      server.status5xx(503, { method: "POST", path: "/api/v3/order", binanceBody: true, times: 10 })
      const failed = yield* cli(["--live", "buy", "--price", "0.08", "--quantity", "100"], env)
      assert.strictEqual(failed.code, 2)
      const warned = failed.err.split("\n").filter((l) => / WARN  503 on POST \/api\/v3\/order; retry \d of 5 in \d+ ms/.test(l))
      assert.deepStrictEqual(warned.map((l) => /retry (\d) of 5/.exec(l)![1]), ["1", "2", "3", "4", "5"])
      assert.match(failed.err, /\norderops: exchange error: .*ExchangeUnavailable/)
    }), { timeout: 60_000 })
})

describe("the command line as people type it", () => {
  it("a symbol in any case, with a slash, a dash, an underscore or none; or refused with the nearest known one", () => {
    for (const typed of ["HBAR/USDT", "hbarusdt", "HBAR-USDT", "hbar_usdt", " Hbar/Usdt "]) assert.strictEqual(normalizeSymbol(typed), "HBAR/USDT", typed)
    assert.strictEqual(normalizeSymbol("ethusd"), "ETH/USD")
    assert.strictEqual(normalizeSymbol("dogeusdt"), "DOGE/USDT") // not built in, but readable: the dry run asks for its rules
    assert.throws(() => normalizeSymbol("HBARXX"), /"HBARXX" is not a market symbol: write it as BASE\/QUOTE.*did you mean HBAR\/USDT\?/)
    assert.throws(() => normalizeSymbol("HBAR/USDT/X"), /not a market symbol/)
  })

  it.live("--symbol hbarusdt and HBAR-USDT trade HBAR/USDT; a market without rules suggests the nearest", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      for (const typed of ["hbarusdt", "HBAR-USDT"]) {
        const r = yield* cli(["--symbol", typed, "balance", "--json"], env)
        assert.strictEqual(r.code, 0, r.err)
        assert.strictEqual(JSON.parse(r.out).symbol, "HBAR/USDT")
      }
      const near = yield* cli(["--symbol", "hbarusd", "balance"], env)
      assert.strictEqual(near.code, 1)
      assert.include(near.err, "no built-in rules for HBAR/USD")
      assert.include(near.err, "did you mean HBAR/USDT?")
      const unreadable = yield* cli(["--symbol", "HBARXX", "balance"], env)
      assert.strictEqual(unreadable.code, 1)
      assert.match(unreadable.err, /^orderops: usage: .*did you mean HBAR\/USDT\?; see orderops balance --help$/)
    }))

  it.live("a flag with no value is an error naming it, never the help with exit 0; orderops alone still shows the help", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const took = yield* cli(["--symbol", "balance"], env)
      assert.deepStrictEqual([took.code, took.out], [1, ""])
      assert.strictEqual(took.err, `orderops: usage: --symbol needs a value: it took "balance", a command, as its value (e.g. orderops --symbol VALUE balance); see orderops --help`)
      const none = yield* cli(["--json"], env)
      assert.deepStrictEqual([none.code, none.out], [1, ""])
      assert.include(none.err, "no command given")
      const last = yield* cli(["balance", "--symbol"], env)
      assert.strictEqual(last.code, 1)
      assert.include(last.err, "--symbol")
      const bare = yield* cli([], env)
      assert.strictEqual(bare.code, 0)
      assert.include(bare.out, "USAGE")
    }))

  it.live("paper reset --balance sets the starting balances; paper fund stores exactly what it prints, past 15 digits", () =>
    Effect.gen(function*() {
      const env = journalEnv()
      const reset = yield* cli(["paper", "reset", "--balance", "USDT=500", "--balance", "hbar=2000", "--json"], env)
      assert.strictEqual(reset.code, 0, reset.err)
      assert.deepStrictEqual(JSON.parse(reset.out), { canceled: [], free: { USDT: "500", HBAR: "2000" } })
      assert.deepStrictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free, { HBAR: "2000", USDT: "500" })
      const funded = yield* cli(["paper", "fund", "USDT", "0.1234567890123456789"], env)
      assert.strictEqual(funded.out, "Funded 0.1234567890123456789 USDT: free USDT 500 -> 500.1234567890123456789 (dry run)")
      assert.strictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free.USDT, "500.1234567890123456789")
      const big = yield* cli(["paper", "fund", "HBAR", "123456789012345678.9", "--json"], env)
      assert.deepStrictEqual(JSON.parse(big.out), { asset: "HBAR", free: "123456789012347678.9" })
      assert.strictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free.HBAR, "123456789012347678.9")
      const bad = yield* cli(["paper", "reset", "--balance", "USDT=lots"], env)
      assert.strictEqual(bad.code, 1)
      assert.include(bad.err, "--balance USDT=lots")
      const again = yield* cli(["paper", "reset", "--json"], env)
      assert.deepStrictEqual(JSON.parse(again.out).free, { USDT: "1000" })
      assert.deepStrictEqual(JSON.parse((yield* cli(["balance", "--json"], env)).out).free, { HBAR: "0", USDT: "1000" })
    }))
})

describe("the paper account's home", () => {
  it("ORDEROPS_HOME, else the platform's data folder", () => {
    assert.strictEqual(homeFolder("linux", { ORDEROPS_HOME: "/srv/orderops" }, "/u/ann"), "/srv/orderops")
    assert.strictEqual(homeFolder("linux", {}, "/u/ann"), "/u/ann/.local/share/orderops")
    assert.strictEqual(homeFolder("linux", { XDG_DATA_HOME: "/data/ann" }, "/u/ann"), "/data/ann/orderops")
    assert.strictEqual(homeFolder("linux", { XDG_DATA_HOME: "relative" }, "/u/ann"), "/u/ann/.local/share/orderops")
    assert.strictEqual(homeFolder("darwin", {}, "/Users/ann"), "/Users/ann/Library/Application Support/orderops")
    assert.strictEqual(homeFolder("win32", { APPDATA: "C:\\Users\\ann\\AppData\\Roaming" }, "C:\\Users\\ann"), "C:\\Users\\ann\\AppData\\Roaming\\orderops")
  })

  it.live("the account stays one account after a cd; --journal and ORDEROPS_JOURNAL still name another", () =>
    Effect.gen(function*() {
      const home = join(tempDir(), "home")
      const [here, there] = [join(tempDir(), "a"), join(tempDir(), "b")]
      mkdirSync(here)
      mkdirSync(there)
      const env = { ORDEROPS_HOME: home }
      const placed = yield* spawnCli(["buy", "--price", "0.09", "--quantity", "100", "--json"], env, [], here)
      assert.strictEqual(placed.code, 0, placed.stderr)
      const id = JSON.parse(placed.stdout).id
      const seen = yield* spawnCli(["orders", "--open", "--json"], env, [], there)
      assert.strictEqual(seen.code, 0, seen.stderr)
      assert.deepStrictEqual(JSON.parse(seen.stdout).map((o: { id: string }) => o.id), [id])
      assert.isTrue(existsSync(join(home, "journal.sqlite")))
      assert.isFalse(existsSync(join(here, ".orderops")))
      const other = join(tempDir(), "other.sqlite")
      for (const elsewhere of [{ ...env, ORDEROPS_JOURNAL: other }, env]) {
        const args = elsewhere === env ? ["--journal", other, "orders", "--open", "--json"] : ["orders", "--open", "--json"]
        const r = yield* spawnCli(args, elsewhere, [], there)
        assert.strictEqual(r.code, 0, r.stderr)
        assert.deepStrictEqual(JSON.parse(r.stdout), [])
      }
    }), { timeout: 60_000 })
})
