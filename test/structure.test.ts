/**
 * The shape of the source tree, checked with nothing but the file system: the
 * modules under `src/` import one another without a circle, and each exchange's
 * own modules (`src/layers/live/exchanges/<id>/`) are reached from the generic
 * live modules only through the one place that picks the exchange (`CcxtVenue.ts`):
 * an exchange's folder builds on the generic modules, never the other way round.
 *
 * An import is every relative specifier of a module: `import … from`, `export …
 * from`, a bare `import "…"` and a dynamic `import("…")`, type-only ones included
 * (a circle of types is still a circle a reader has to walk).
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const SRC = new URL("../src", import.meta.url).pathname

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

/** Comments out, so that a module's header may name another module without importing it. */
const codeOf = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")

const SPECIFIER = /(?:^\s*(?:import|export)\b[^;]*?\bfrom\s*|^\s*import\s*|\bimport\(\s*)["'](\.{1,2}\/[^"']+)["']/gm

/** The files under `src/` that `file` imports, by path relative to `src/`. */
export const importsOf = (file: string, text: string): Array<string> =>
  [...codeOf(text).matchAll(SPECIFIER)].map((m) => relative(SRC, resolve(dirname(file), m[1]!)))

/** The import graph of `src/`: each file (relative to `src/`) and the `src/` files it imports. */
const importGraph = (): Map<string, ReadonlyArray<string>> =>
  new Map(sourceFiles(SRC).map((file) => [relative(SRC, file), importsOf(file, readFileSync(file, "utf8"))]))

/** The strongly connected components of `graph` (Tarjan), each as its files. */
export const components = (graph: ReadonlyMap<string, ReadonlyArray<string>>): Array<Array<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const found: Array<Array<string>> = []
  const visit = (node: string): void => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: Array<string> = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      found.push(component)
    }
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

/** One circle through the files of `component`, as `a → b → … → a`, for the failure message. */
const circleThrough = (graph: ReadonlyMap<string, ReadonlyArray<string>>, component: ReadonlyArray<string>): string => {
  const members = new Set(component)
  const start = [...component].sort()[0]!
  const path = [start]
  const seen = new Set([start])
  for (let node = start;;) {
    const next = (graph.get(node) ?? []).find((n) => members.has(n) && (n === start || !seen.has(n)))
      ?? (graph.get(node) ?? []).find((n) => members.has(n))!
    path.push(next)
    if (next === start || seen.has(next)) return path.join(" → ")
    seen.add(next)
    node = next
  }
}

/** The circles of `graph`, one line each (empty when there is none). */
export const circles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): Array<string> =>
  components(graph)
    .filter((c) => c.length > 1 || (graph.get(c[0]!) ?? []).includes(c[0]!))
    .map((c) => `${c.length} files: ${circleThrough(graph, c)}`)

describe("structure of src/", () => {
  it("no module imports itself back through others: the import graph has no circle", () => {
    const graph = importGraph()
    assert.isAbove(graph.size, 50)
    assert.deepStrictEqual(circles(graph), [])
  })

  it("the generic live modules reach an exchange's folder only through CcxtVenue.ts, which picks the exchange", () => {
    const graph = importGraph()
    const generic = /^layers\/live\/[^/]+\.ts$/
    const upward = [...graph].flatMap(([file, imports]) =>
      generic.test(file) && file !== "layers/live/CcxtVenue.ts"
        ? imports.filter((target) => target.startsWith("layers/live/exchanges/")).map((target) => `${file} → ${target}`)
        : []
    )
    // Binance's weights and type words, still read by generic modules; they go with
    // the exchange profile (issue 22, item 4). The list may only shrink.
    const known = [
      "layers/live/Client.ts → layers/live/exchanges/binance/Limits.ts",
      "layers/live/decode.ts → layers/live/exchanges/binance/OrderTypes.ts",
      "layers/live/instance.ts → layers/live/exchanges/binance/Limits.ts"
    ]
    assert.deepStrictEqual(upward.sort(), known)
  })

  it("the circle check finds a circle and names its files", () => {
    // The check above is only worth something if it can fail: a graph with a circle of three.
    const graph = new Map<string, ReadonlyArray<string>>([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]]
    ])
    assert.deepStrictEqual(circles(graph).sort(), ["1 files: e.ts → e.ts", "3 files: a.ts → b.ts → c.ts → a.ts"])
  })

  it("reads every kind of relative import, type-only ones too, and skips comments", () => {
    const file = join(SRC, "layers/live/Example.ts")
    const text = [
      "/** see `import x from \"./Commented.ts\"` */",
      "import { a } from \"./A.ts\"",
      `import type { B } from "${"../".repeat(2)}services/B.ts"`, // two folders up, built so no path literal climbs out of test/
      "import {",
      "  type C,",
      "  c",
      "} from \"./C.ts\"",
      "export { d } from \"./D.ts\"",
      "export type * from \"./E.ts\"",
      "import \"./F.ts\"",
      "const g = () => import(\"./G.ts\")",
      "import { Effect } from \"effect\""
    ].join("\n")
    assert.deepStrictEqual(importsOf(file, text), [
      "layers/live/A.ts",
      "services/B.ts",
      "layers/live/C.ts",
      "layers/live/D.ts",
      "layers/live/E.ts",
      "layers/live/F.ts",
      "layers/live/G.ts"
    ])
  })
})
