/**
 * The repository stands alone: no test, benchmark or script may read a path outside
 * it. This walks test/, bench/ and scripts/, takes every quoted string that climbs
 * with `../` or starts at `/work`, `/home` or `~`, resolves the relative ones from the
 * file's own folder (as `new URL(p, import.meta.url)` does), and fails naming each one
 * that lands outside the repository. `.ci/run` runs it before the tests.
 *
 * Run: `node scripts/check-paths.ts` (exit 1 and one line per offence when any).
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const folders = ["test", "bench", "scripts"]
const textFile = /\.(ts|js|mjs|cjs|sh|json)$/

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === "node_modules" || name === "fixtures") return []
    return statSync(path).isDirectory() ? filesUnder(path) : textFile.test(name) ? [path] : []
  })

const quoted = /(["'`])((?:\.\.\/|\/work\/|\/home\/|~\/)[^"'`\s$]*)/g

const outside = (file: string, literal: string): boolean => {
  if (!literal.startsWith("../")) return true
  const target = relative(root, resolve(dirname(file), literal))
  return target === ".." || target.startsWith(`..${sep}`)
}

const offences = folders
  .map((folder) => join(root, folder))
  .flatMap((dir) => (statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? filesUnder(dir) : []))
  .flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, i) =>
        [...line.matchAll(quoted)]
          .filter((m) => outside(file, m[2]!))
          .map((m) => `${relative(root, file)}:${i + 1}: ${m[2]} is outside the repository`)
      )
  )

if (offences.length > 0) {
  console.error(offences.join("\n"))
  process.exit(1)
}
console.log(`paths: every path named under ${folders.join(", ")} stays inside the repository`)
