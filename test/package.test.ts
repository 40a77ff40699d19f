/**
 * The published package works for a consumer: build, `npm pack`, install the tarball
 * into an empty project, and run an Effect program against `DryRunExchangeLayer`
 * that creates orders, lists them, fills one by moving the price and cancels the rest.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = new URL("..", import.meta.url).pathname
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  execFileSync("npm", [...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } })

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

describe("the packed package", () => {
  it("installs from its tarball and runs a dry-run program in an empty project", { timeout: 240_000 }, () => {
    npm(["run", "build"], root)
    const out = mkdtempSync(join(tmpdir(), "orderops-pack-"))
    npm(["pack", "--pack-destination", out], root)
    const tarball = readdirSync(out).find((f) => f.endsWith(".tgz"))!
    const project = join(out, "consumer")
    execFileSync("mkdir", ["-p", project])
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }))
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", join(out, tarball)], project)
    writeFileSync(join(project, "main.mjs"), consumer)
    const stdout = execFileSync(process.execPath, ["main.mjs"], { cwd: project, encoding: "utf8" }).trim().split("\n")
    const result = JSON.parse(stdout[stdout.length - 1]!) // after the library's log lines
    assert.deepStrictEqual(result.listed, [result.a, result.b])
    assert.deepStrictEqual(result.filled, [result.a])
    assert.deepStrictEqual(result.cancelled, [result.b])
    assert.deepStrictEqual(result.statuses, [`${result.a}:closed`, `${result.b}:canceled`])
    // The declarations ship too.
    assert.include(readdirSync(join(project, "node_modules/orderops/dist/src")), "index.d.ts")
    // And the `orderops` bin (the bundled CLI) runs a dry-run session that carries over.
    const env = { ...process.env, ORDEROPS_JOURNAL: join(out, "journal.sqlite"), PATH: `${dirname(process.execPath)}:${process.env.PATH}` }
    const bin = join(project, "node_modules/.bin/orderops")
    execFileSync(bin, ["buy", "--price", "0.09", "--quantity", "100"], { cwd: project, env, encoding: "utf8" })
    const listed = JSON.parse(execFileSync(bin, ["orders", "--open", "--json"], { cwd: project, env, encoding: "utf8" }))
    assert.deepStrictEqual(listed.map((o: { price: number; status: string }) => [o.price, o.status]), [[0.09, "open"]])
  })
})
