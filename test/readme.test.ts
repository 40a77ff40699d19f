/**
 * The README and the pages under docs/ tell the truth: the README's complete
 * program is `examples/quickstart.ts` verbatim, and docs/order-events.md's program
 * is `examples/order-events.ts`; the output they show is what the commands and that
 * program print (run here, each session on a fresh journal; times, client order ids
 * and timestamps differ from run to run, so they are compared by shape).
 *
 * Every TypeScript block compiles. A block fenced ```ts is a complete module: its
 * imports, its declarations, nothing assumed around it. All of them are written to
 * a temp project, one file each, and compiled in one `tsc` run with the
 * repository's compiler options, `orderops` resolving as an installed package
 * does, through `exports` (its `source` condition: the sources the package is
 * built from, so no build is needed here; test/package.test.ts typechecks a
 * consumer against the packed tarball's declarations). A block that is only a
 * piece of a program (a shape, a line out of context) is fenced ```ts fragment and
 * is not compiled; any other TypeScript fence (```typescript, ```tsx) fails the test.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestConsole } from "effect/testing"
import { runCli } from "../src/cli/commands.ts"

const root = new URL("..", import.meta.url).pathname
const read = (path: string) => readFileSync(join(root, path), "utf8")
const readme = read("README.md")
/** The README and every page under docs/, by path from the root. */
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)]

/** The text of `## title` in `text` up to the next `## ` heading. */
const sectionOf = (text: string, title: string): string => {
  const start = text.indexOf(`\n## ${title}\n`)
  assert.isAbove(start, -1, `section ${title}`)
  const end = text.indexOf("\n## ", start + 1)
  return text.slice(start, end < 0 ? undefined : end)
}
const section = (title: string) => sectionOf(readme, title)

interface Fence {
  readonly page: string
  /** The line of the opening fence, 1-based. */
  readonly line: number
  /** What follows the opening backticks: `ts`, `ts fragment`, `sh`, ... */
  readonly info: string
  readonly body: string
}

/** Every fenced block of a page, with where it starts. */
const fences = (page: string): Array<Fence> => {
  const found: Array<Fence> = []
  let open: { line: number; info: string; body: Array<string> } | undefined
  read(page).split("\n").forEach((text, i) => {
    if (open === undefined) {
      if (text.startsWith("```")) open = { line: i + 1, info: text.slice(3).trim(), body: [] }
    } else if (text.trim() === "```") {
      found.push({ page, line: open.line, info: open.info, body: open.body.join("\n") })
      open = undefined
    } else open.body.push(text)
  })
  assert.isUndefined(open, `${page}: a fence opened at line ${open?.line} is never closed`)
  return found
}

const TS_FENCE = /^(ts|typescript|tsx|mts|cts)\b/
const COMPILED = "ts"
const FRAGMENT = "ts fragment"

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
    const text = read("docs/order-events.md")
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
      const steps = session(blocks(read("docs/cli.md"), "console")[0]!)
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

  it("marks every TypeScript block either ts (compiled) or ts fragment", () => {
    for (const fence of pages.flatMap(fences)) {
      if (TS_FENCE.test(fence.info)) assert.oneOf(fence.info, [COMPILED, FRAGMENT], `${fence.page}:${fence.line}`)
    }
  })

  it("compiles every ts block of the README and docs/, in one tsc run", () => {
    const compiled = pages.flatMap(fences).filter((f) => f.info === COMPILED)
    assert.isAtLeast(compiled.length, 10) // the docs have that many programs: the parser found them
    const dir = mkdtempSync(join(tmpdir(), "orderops-docs-"))
    try {
      // An ES module app (as the README's Install says), with `orderops` as an installed
      // package beside the dependencies a user installs with it.
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "docs-blocks", private: true, type: "module" }))
      mkdirSync(join(dir, "node_modules"))
      symlinkSync(root, join(dir, "node_modules/orderops"))
      for (const dep of ["effect", "@effect", "@types"]) symlinkSync(join(root, "node_modules", dep), join(dir, "node_modules", dep))
      const files = new Map<string, Fence>()
      compiled.forEach((fence, i) => {
        const file = `block${i}.ts`
        files.set(file, fence)
        writeFileSync(join(dir, file), `${fence.body}\nexport {}\n`)
      })
      // A block that does not compile, so that this run shows it reports one.
      writeFileSync(join(dir, "canary.ts"), `export const canary: number = "not a number"\n`)
      const { compilerOptions } = JSON.parse(read("tsconfig.json"))
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: [...files.keys(), "canary.ts"] }))
      const tsc = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json", "--pretty", "false"], { cwd: dir, encoding: "utf8" })
      const errors = tsc.stdout.split("\n").filter((l) => /error TS\d+/.test(l))
      // Each other error, told where it is in the page: the block's line plus the line in the block.
      const inPages = errors.filter((l) => !l.startsWith("canary.ts")).map((l) => {
        const at = /^(block\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l)
        const fence = at === null ? undefined : files.get(at[1]!)
        return fence === undefined ? l : `${fence.page}:${fence.line + Number(at![2])}:${at![3]}: ${at![4]}`
      })
      assert.deepStrictEqual(inPages, [])
      // tsc reports type errors only in a program that parses: the canary's shows that it got that far.
      assert.strictEqual(errors.filter((l) => l.startsWith("canary.ts")).length, 1, tsc.stdout + tsc.stderr)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it("links only to pages and headings that exist", () => {
    /** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
    const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")
    const anchorsOf = (page: string) =>
      new Set(read(page).split("\n").filter((l) => /^#{1,6} /.test(l)).map((l) => anchor(l.replace(/^#+ /, ""))))
    const broken: Array<string> = []
    for (const page of pages) {
      // Links outside code: fenced blocks are dropped first.
      const prose = read(page).replace(/```[\s\S]*?```/g, "")
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue // https:, mailto:
        const [file, hash] = target!.split("#") as [string, string | undefined]
        const resolved = file === "" ? page : join(dirname(page), file)
        if (resolved.endsWith("/") || !resolved.endsWith(".md")) {
          if (!existsSync(join(root, resolved))) broken.push(`${page}: ${target}`)
          continue
        }
        if (!pages.includes(resolved)) broken.push(`${page}: ${target}`)
        else if (hash !== undefined && !anchorsOf(resolved).has(hash)) broken.push(`${page}: ${target} (no such heading)`)
      }
    }
    assert.deepStrictEqual(broken, [])
  })
})
