/**
 * The README tells the truth: its complete program is `examples/quickstart.ts`
 * verbatim, and so is its order-events program (`examples/order-events.ts`); the
 * output it shows is what the commands and that program print (run here, each
 * session on a fresh journal; times, client order ids and timestamps differ from
 * run to run, so they are compared by shape).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestConsole } from "effect/testing"
import { runCli } from "../src/cli/commands.ts"

const root = new URL("..", import.meta.url).pathname
const read = (path: string) => readFileSync(join(root, path), "utf8")
const readme = read("README.md")

/** The text of `## title` up to the next `## ` heading. */
const section = (title: string): string => {
  const start = readme.indexOf(`\n## ${title}\n`)
  assert.isAbove(start, -1, `README section ${title}`)
  const end = readme.indexOf("\n## ", start + 1)
  return readme.slice(start, end < 0 ? undefined : end)
}

/** The bodies of the section's fenced blocks of `language`. */
const blocks = (text: string, language: string): Array<string> =>
  [...text.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)\\n```", "g"))].map((m) => m[1]!)

/** A console block as commands (`$ orderops ...`) with the lines each printed. */
const session = (block: string): Array<{ readonly args: Array<string>; readonly output: string }> => {
  const steps: Array<{ args: Array<string>; lines: Array<string> }> = []
  for (const line of block.split("\n")) {
    if (line.startsWith("$ orderops")) steps.push({ args: line.slice("$ orderops".length).trim().split(/\s+/), lines: [] })
    else steps.at(-1)!.lines.push(line)
  }
  return steps.map((s) => ({ args: s.args, output: s.lines.join("\n") }))
}

/** What differs between runs, replaced by a marker of the same kind. */
const shape = (text: string) =>
  text
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, "<time>")
    .replace(/oo_[0-9a-z]+_[0-9a-f]+/g, "<client order id>")
    .replace(/"timestamp": \d+/g, `"timestamp": <ms>`)

describe("README", () => {
  it("shows examples/quickstart.ts exactly", () => {
    const block = blocks(section("A complete program"), "ts")[0]!
    const example = read("examples/quickstart.ts").split("\n").filter((l) => !l.startsWith("//")).join("\n").trim()
    assert.strictEqual(block.trim(), example)
  })

  it("shows examples/order-events.ts exactly, and what it prints", () => {
    const text = section("Order events")
    const example = read("examples/order-events.ts").split("\n").filter((l) => !l.startsWith("//")).join("\n").trim()
    assert.strictEqual(blocks(text, "ts")[0]!.trim(), example)
    const run = spawnSync(join(root, "node_modules/.bin/node"), ["--conditions=source", join(root, "examples/order-events.ts")], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", ORDEROPS_JOURNAL: ":memory:" },
      encoding: "utf8",
      timeout: 20_000
    })
    assert.strictEqual(run.status, 0, run.stderr)
    assert.strictEqual(run.stdout.trim(), blocks(text, "console")[0]!.trim())
  })

  it("gives the test command that .ci/run runs", () => {
    assert.include(readme, "npm ci && npm test")
    assert.match(read(".ci/run"), /^npm test$/m)
  })

  it.live("the command-line session prints what the README shows", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "orderops-readme-"))
      const env = { ORDEROPS_JOURNAL: join(dir, "journal.sqlite") }
      const steps = session(blocks(section("Command line"), "console")[0]!)
      assert.isAbove(steps.length, 4)
      for (const { args, output } of steps) {
        const printed = yield* Effect.gen(function*() {
          yield* runCli(args)
          return [...(yield* TestConsole.logLines), ...(yield* TestConsole.errorLines)].join("\n")
        }).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
          Effect.provide(Layer.mergeAll(NodeServices.layer, TestConsole.layer))
        )
        assert.strictEqual(shape(printed), shape(output), `orderops ${args.join(" ")}`)
      }
      rmSync(dir, { recursive: true, force: true })
    }))

  it("the demo starts as the README shows", () => {
    const shown = blocks(section("Quick start"), "console")[0]!.split("\n")
    assert.strictEqual(shown[0], "$ orderops demo")
    const dir = mkdtempSync(join(tmpdir(), "orderops-readme-"))
    const run = spawnSync(join(root, "node_modules/.bin/node"), [join(root, "src/cli/main.ts"), "demo", "--ticks", "1", "--tick-ms", "0"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", ORDEROPS_JOURNAL: ":memory:" },
      encoding: "utf8"
    })
    rmSync(dir, { recursive: true, force: true })
    assert.strictEqual(run.status, 0, run.stderr)
    assert.deepStrictEqual(run.stdout.split("\n").slice(0, shown.length - 1), shown.slice(1))
    assert.match(run.stdout, /\nDone: \d+ fills, realised P&L -?\d+\.\d+ USDT; cancelled \d+ open orders\.\n$/)
  })
})
