/** The README's complete program is `examples/quickstart.ts`, verbatim, so that it runs as written. */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8")

describe("README", () => {
  it("shows examples/quickstart.ts exactly", () => {
    const readme = read("README.md")
    const section = readme.slice(readme.indexOf("## A complete program"))
    const start = section.indexOf("```ts\n") + "```ts\n".length
    const block = section.slice(start, section.indexOf("\n```", start))
    const example = read("examples/quickstart.ts").split("\n").filter((l) => !l.startsWith("//")).join("\n").trim()
    assert.strictEqual(block.trim(), example)
  })

  it("gives the test command that .ci/run runs", () => {
    assert.include(read("README.md"), "npm ci && npm test")
    assert.match(read(".ci/run"), /^npm test$/m)
  })
})
