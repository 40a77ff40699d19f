/**
 * The published package works for a consumer: a copy of the sources is built and
 * packed in a temp dir (never touching the work tree's `dist/`), the tarball is
 * installed into an empty project, and both faces are used from there: an Effect
 * program against `DryRunExchangeLayer`, and the installed `orderops` bin on a
 * SQLite journal and, when `DATABASE_URL` is set, on a real PostgreSQL.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { PgClient } from "@effect/sql-pg"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"

const root = new URL("..", import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const BIN: string = pkg.bin.orderops
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  execFileSync("npm", [...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } })

/** What `npm pack` needs to build the package: the sources and configs, with the work tree's node_modules. */
const PACKED_FROM = ["package.json", "package-lock.json", "README.md", "docs", "tsconfig.json", "tsconfig.build.json", "src"]

let work = ""
let project = ""

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "orderops-pack-"))
  const copy = join(work, "source")
  for (const path of PACKED_FROM) cpSync(join(root, path), join(copy, path), { recursive: true })
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"))
  npm(["pack", "--pack-destination", work], copy) // prepack builds dist/ inside the copy
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!
  project = join(work, "consumer")
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }))
  npm(["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball)], project)
}, 240_000)

afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true })
})

interface Ran {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs the installed `orderops` bin in the consumer project with `env` added to
 * this process's: through its `.bin` link on the `node` first on PATH (this
 * process's), or directly on the `node` binary given.
 */
const runBin = (args: ReadonlyArray<string>, env: Record<string, string>, nodeBinary?: string, cwd: string = project): Ran => {
  const run = nodeBinary === undefined
    ? spawnSync(join(project, "node_modules/.bin/orderops"), [...args], {
      cwd,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env["PATH"]}`, ...env },
      encoding: "utf8"
    })
    : spawnSync(nodeBinary, [join(project, "node_modules/orderops", BIN), ...args], {
      cwd: project,
      env: { ...process.env, ...env },
      encoding: "utf8"
    })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** The bin's output as JSON, after checking that it succeeded and printed nothing on stderr (no Node warning either). */
const json = (run: Ran): any => {
  assert.strictEqual(run.status, 0, run.stderr)
  assert.strictEqual(run.stderr, "")
  return JSON.parse(run.stdout)
}

/** A dry-run session through the installed bin: funded, an order that carries over to the next process. */
const binSession = (journal: string, nodeBinary?: string) => {
  const orderops = (args: ReadonlyArray<string>) => json(runBin(args, { ORDEROPS_JOURNAL: journal }, nodeBinary))
  assert.deepStrictEqual(orderops(["balance", "--json"]).free, { HBAR: "0", USDT: "1000" })
  const placed = orderops(["buy", "--price", "0.09", "--quantity", "100", "--json"])
  const listed = orderops(["orders", "--open", "--json"])
  assert.deepStrictEqual(listed.map((o: { id: string; price: string; status: string }) => [o.id, o.price, o.status]), [[placed.id, "0.09", "open"]])
  assert.deepStrictEqual(orderops(["balance", "--json"]).free, { HBAR: "0", USDT: "991" })
}

const consumer = `
import { Effect } from "effect"
import { cancelAllBuyOrders, createLimitBuy, DryRunExchangeLayer, DryRunMarket, fetchOpenOrders, fetchAllOrders } from "orderops"

const program = Effect.gen(function*() {
  const a = yield* createLimitBuy(0.099, 100)
  const b = yield* createLimitBuy(0.09, 100)
  const listed = (yield* fetchOpenOrders()).map((o) => o.id)
  const filled = (yield* (yield* DryRunMarket).setPrice(0.098)).map((o) => o.id)
  const cancelled = yield* cancelAllBuyOrders()
  const statuses = (yield* fetchAllOrders()).map((o) => o.id + ":" + o.status)
  return { a, b, listed, filled, cancelled, statuses }
})
Effect.runPromise(program.pipe(Effect.provide(DryRunExchangeLayer()))).then((r) => console.log(JSON.stringify(r)))
`

const DATABASE_URL = process.env["DATABASE_URL"] ?? ""
/** A `node` binary at the declared minimum version; `.ci/run` installs one and sets this. */
const MINIMUM_NODE = process.env["ORDEROPS_MINIMUM_NODE"] ?? ""

/** Runs one statement on the server `DATABASE_URL` names. */
const adminSql = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
  Effect.runPromise(
    Effect.orDie(
      Effect.provide(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), statement),
        PgClient.layer({ url: Redacted.make(DATABASE_URL), maxConnections: 1 })
      )
    )
  )

describe("the packed package", () => {
  it("installs from its tarball and runs a dry-run program in an empty project", () => {
    writeFileSync(join(project, "main.mjs"), consumer)
    const stdout = execFileSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8" }).trim().split("\n")
    const result = JSON.parse(stdout[stdout.length - 1]!) // after the library's log lines
    assert.deepStrictEqual(result.listed, [result.a, result.b])
    assert.deepStrictEqual(result.filled, [result.a])
    assert.deepStrictEqual(result.cancelled, [result.b])
    assert.deepStrictEqual(result.statuses, [`${result.a}:closed`, `${result.b}:canceled`])
    // The declarations ship too.
    assert.include(readdirSync(join(project, "node_modules/orderops/dist/src")), "index.d.ts")
    // And the pages the README links to.
    assert.include(readdirSync(join(project, "node_modules/orderops/docs")), "live-trading.md")
  }, 60_000)

  it("exports LiveExchangeLayer and DryRunExchangeLayer as first-class names, the same as Live.layer and DryRun.layer", () => {
    writeFileSync(join(project, "names.mjs"), `import { DryRun, DryRunExchangeLayer, Live, LiveExchangeLayer } from "orderops"
console.log(JSON.stringify([LiveExchangeLayer === Live.layer, DryRunExchangeLayer === DryRun.layer]))`)
    assert.strictEqual(execFileSync(process.execPath, ["names.mjs"], { cwd: project, encoding: "utf8" }).trim(), "[true,true]")
    // Nothing marks either `@deprecated` in the declarations an editor reads.
    const declarations = readFileSync(join(project, "node_modules/orderops/dist/src/index.d.ts"), "utf8")
    for (const name of ["LiveExchangeLayer", "DryRunExchangeLayer"]) {
      const at = declarations.indexOf(`export declare const ${name}:`)
      assert.isAbove(at, -1, name)
      const before = declarations.slice(0, at)
      assert.notInclude(before.slice(before.lastIndexOf(";") + 1), "@deprecated", name)
    }
  }, 60_000)

  it("a live program whose key variables are unset fails with MissingCredentials, plain or Redacted, and never throws", () => {
    writeFileSync(join(project, "live.mjs"), `import { Cause, Effect, Exit, Redacted } from "effect"
import { getQuoteBalance, Live, LiveExchangeLayer } from "orderops"
const layers = [
  Live.layer({ apiKey: Redacted.make(process.env.KEY), secret: Redacted.make(process.env.SECRET) }),
  LiveExchangeLayer({ apiKey: process.env.KEY, secret: process.env.SECRET }),
  Live.layer({ apiKey: "k", secret: "  " })
]
for (const layer of layers) {
  const exit = await Effect.runPromiseExit(getQuoteBalance().pipe(Effect.provide(layer)))
  const e = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
  console.log(JSON.stringify([e?._tag, e?.reason, e?.message]))
}`)
    const env: Record<string, string | undefined> = { ...process.env }
    delete env["KEY"]
    delete env["SECRET"]
    const lines = execFileSync(process.execPath, ["live.mjs"], { cwd: project, encoding: "utf8", env }).trim().split("\n")
    assert.deepStrictEqual(lines.map((l) => JSON.parse(l)), [
      ["AuthenticationError", "MissingCredentials", "LiveExchangeLayer HBAR/USDT: authentication failed (MissingCredentials): live trading needs an API key and secret; missing apiKey and secret"],
      ["AuthenticationError", "MissingCredentials", "LiveExchangeLayer HBAR/USDT: authentication failed (MissingCredentials): live trading needs an API key and secret; missing apiKey and secret"],
      ["AuthenticationError", "MissingCredentials", "LiveExchangeLayer HBAR/USDT: authentication failed (MissingCredentials): live trading needs an API key and secret; missing secret"]
    ])
  }, 60_000)

  it("the installed bin keeps a dry-run session in a SQLite journal", () => {
    binSession(join(work, "journal.sqlite"))
  }, 60_000)

  it.skipIf(DATABASE_URL === "")("the installed bin keeps a dry-run session in a PostgreSQL journal", async () => {
    const database = `orderops_pkg_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
    await adminSql((sql) => sql.unsafe(`CREATE DATABASE ${database}`))
    try {
      const url = new URL(DATABASE_URL)
      url.pathname = `/${database}`
      binSession(url.toString())
    } finally {
      await adminSql((sql) => sql.unsafe(`DROP DATABASE ${database} WITH (FORCE)`))
    }
  }, 60_000)

  it.skipIf(MINIMUM_NODE === "")("the installed bin runs on the declared minimum Node (ORDEROPS_MINIMUM_NODE)", () => {
    const version = execFileSync(MINIMUM_NODE, ["--version"], { encoding: "utf8" }).trim()
    assert.strictEqual(`v${pkg.engines.node.match(/\d+\.\d+\.\d+/)[0]}`, version)
    binSession(join(work, "minimum-node.sqlite"), MINIMUM_NODE)
  }, 60_000)

  it("the installed bin as a person uses it: parse errors, refusals, the paper account, other markets", () => {
    const env = { ORDEROPS_JOURNAL: join(work, "person.sqlite") }
    const parse = runBin(["cancel-all", "--side", "sideways"], env)
    assert.deepStrictEqual([parse.status, parse.stdout], [1, ""])
    assert.match(parse.stderr, /^orderops: usage: [^\n]+; see orderops cancel-all --help\n$/)
    const refused = runBin(["buy", "--price", "0.1", "--quantity", "0.5"], env)
    assert.deepStrictEqual([refused.status, refused.stderr], [1, "orderops: invalid input: quantity 0.5 rounds to 0 at step 1 (minimum 1)\n"])
    assert.include(runBin(["paper"], env).stdout, "A fresh paper account holds 1000 USDT and nothing else.")
    json(runBin(["paper", "fund", "HBAR", "100", "--json"], env))
    const sell = json(runBin(["sell", "--price", "0.2", "--quantity", "100", "--json"], env))
    const btc = json(runBin(["--symbol", "BTC/USDT", "buy", "--price", "20000.009", "--quantity", "0.001", "--json"], env))
    assert.include(btc, { symbol: "BTC/USDT", price: "20000" })
    assert.deepStrictEqual(json(runBin(["paper", "reset", "--json"], env)), { canceled: [sell.id, btc.id], free: { USDT: "1000" } })
    assert.deepStrictEqual(json(runBin(["balance", "--json"], env)).free, { HBAR: "0", USDT: "1000" })
  }, 60_000)

  it("the installed bin for a new user: one paper account from any folder, symbols typed any way, readable logs, exit codes", () => {
    // No ORDEROPS_JOURNAL (blank counts as unset): the journal is the one in ORDEROPS_HOME.
    const home = join(work, "home")
    const env = { ORDEROPS_JOURNAL: "", ORDEROPS_HOME: home }
    const elsewhere = join(work, "elsewhere")
    mkdirSync(elsewhere)
    assert.deepStrictEqual(json(runBin(["paper", "reset", "--balance", "USDT=500", "--balance", "HBAR=2000", "--json"], env)).free, { USDT: "500", HBAR: "2000" })
    const placed = json(runBin(["--symbol", "hbarusdt", "sell", "--price", "0.2", "--quantity", "100", "--json"], env))
    assert.strictEqual(placed.symbol, "HBAR/USDT")
    const open = json(runBin(["--symbol", "HBAR-USDT", "orders", "--open", "--json"], env, undefined, elsewhere))
    assert.deepStrictEqual(open.map((o: { id: string }) => o.id), [placed.id])
    assert.deepStrictEqual(json(runBin(["balance", "--json"], env, undefined, elsewhere)).free, { HBAR: "1900", USDT: "500" })
    assert.isTrue(readdirSync(home).includes("journal.sqlite"))

    const noValue = runBin(["--symbol", "balance"], env)
    assert.deepStrictEqual([noValue.status, noValue.stdout], [1, ""])
    assert.include(noValue.stderr, "--symbol needs a value")
    const stop = runBin(["stop-loss", "--trigger", "0.09", "--quantity", "10"], env)
    assert.strictEqual(stop.status, 1)
    assert.include(stop.stderr, "add --price")

    const logged = runBin(["buy", "--price", "0.09", "--quantity", "100", "--log-level", "info", "--log-format", "json"], env)
    assert.strictEqual(logged.status, 0, logged.stderr)
    const records = logged.stderr.trim().split("\n").map((l) => JSON.parse(l))
    assert.isTrue(records.some((r) => r.level === "INFO" && r.message.startsWith("Created limit buy order") && r.annotations.symbol === "HBAR/USDT"))
  }, 60_000)

  it("typechecks in a consumer project with the README's tsconfig (skipLibCheck off), and runs its .ts there", () => {
    // The README's Install gives the app's tsconfig.json as its one json block.
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const install = readme.slice(readme.indexOf("\n## Install\n"), readme.indexOf("\n## A complete program\n"))
    const tsconfig = /```json\n([\s\S]*?)\n```/.exec(install)![1]!
    const { compilerOptions } = JSON.parse(tsconfig)
    assert.notProperty(compilerOptions, "skipLibCheck") // so the packed declarations are checked too
    writeFileSync(join(project, "tsconfig.json"), tsconfig)
    // The README has the app install @types/node; this project takes the work tree's.
    mkdirSync(join(project, "node_modules/@types"), { recursive: true })
    if (!existsSync(join(project, "node_modules/@types/node"))) symlinkSync(join(root, "node_modules/@types/node"), join(project, "node_modules/@types/node"))
    writeFileSync(join(project, "app.ts"), `import { Effect } from "effect"
import { createLimitBuy, Decimal, DryRunExchangeLayer, getUsdtBalance, LiveExchangeLayer } from "orderops"
export const live = LiveExchangeLayer({ apiKey: "k", secret: "s" })
const program = Effect.gen(function*() {
  yield* createLimitBuy("0.09", 100)
  return Decimal.format(yield* getUsdtBalance())
})
Effect.runPromise(program.pipe(Effect.provide(DryRunExchangeLayer()))).then((free) => console.log(\`free \${free} in \${process.env["ORDEROPS_JOURNAL"]}\`))
`)
    const tsc = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: project, encoding: "utf8" })
    assert.strictEqual(tsc.status, 0, tsc.stdout + tsc.stderr)
    // "type": "module" (set when the project was made): Node runs the .ts as it is.
    const run = spawnSync(process.execPath, ["app.ts"], { cwd: project, encoding: "utf8", env: { ...process.env, ORDEROPS_JOURNAL: ":memory:" } })
    assert.strictEqual(run.status, 0, run.stderr)
    assert.match(run.stdout, /^free 991 in :memory:$/m)
  }, 60_000)
})
