/**
 * (e) Cold start and peak RSS of `orderops balance` (dry run) against
 * `node -e "import('ccxt')"`: the dry run must never load ccxt.
 *
 * The CLI measured is what `npm install` gives: the package's `bin`, the rolldown
 * bundle of the tsc build (effect tree-shaken; ccxt and pg left external and loaded
 * on demand), built here into node_modules/.cache so the bench never touches
 * `dist/`. For reference, the unbundled tsc output and the source run by Node's
 * type stripping (as `npm run orderops` runs it) are measured too. Each command runs once to warm the file cache and create the
 * journal, then 7 times interleaved with the baseline; medians are reported.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { median, ms, progress, ratio, type Row, verdict } from "./support.ts"

const ROOT = resolve(import.meta.dirname, "..")
const NODE = join(ROOT, "node_modules/.bin/node")
const CACHE = join(ROOT, "node_modules/.cache/orderops-bench")
const TIME = "/usr/bin/time"
const RUNS = 7

interface Sample {
  readonly ms: number
  readonly rssKb: number
}

/** Runs `args` under node once; wall time around the whole process, peak RSS from the kernel. */
const sample = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Sample => {
  const useTime = existsSync(TIME)
  const rssFile = join(tmpdir(), `orderops-rss-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const command = useTime ? TIME : NODE
  const argv = useTime
    ? ["-f", "%M", "-o", rssFile, NODE, ...args]
    : ["--import", `data:text/javascript,process.on("exit",()=>require("node:fs").writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS)))`.replace("require(\"node:fs\")", "process.getBuiltinModule(\"node:fs\")"), ...args]
  const start = performance.now()
  const run = spawnSync(command, argv, { cwd: ROOT, env, encoding: "utf8" })
  const elapsed = performance.now() - start
  if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr}`)
  const rssKb = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop())
  rmSync(rssFile, { force: true })
  return { ms: elapsed, rssKb }
}

/**
 * Builds the CLI as `npm run build` does, into node_modules/.cache (never touching
 * dist/): tsc, then the rolldown bundle that the package's `bin` points at.
 */
const build = (): { dist: string; bundle: string } => {
  progress("(e) building the CLI (tsc, then the rolldown bundle the bin ships) into node_modules/.cache/orderops-bench")
  const out = join(CACHE, "dist")
  rmSync(out, { recursive: true, force: true })
  const tsc = spawnSync(join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json", "--outDir", out], { cwd: ROOT, encoding: "utf8" })
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`)
  const dist = join(out, "src/cli/main.js")
  const script = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["bundle-cli"] as string
  const args = script.split(/\s+/).slice(1).map((a) => (a === "dist/src/cli/main.js" ? dist : a === "dist/bin" ? join(out, "bin") : a))
  const bundled = spawnSync(join(ROOT, "node_modules/.bin/rolldown"), args, { cwd: ROOT, encoding: "utf8" })
  if (bundled.status !== 0) throw new Error(`rolldown failed: ${bundled.stdout}${bundled.stderr}`)
  return { dist, bundle: join(out, "bin/main.js") }
}

export const coldStart = async (): Promise<ReadonlyArray<Row>> => {
  const { bundle, dist } = build()
  const dir = mkdtempSync(join(tmpdir(), "orderops-bench-"))
  try {
    const env = { ...process.env, ORDEROPS_JOURNAL: join(dir, "journal.sqlite") }
    const variants: Array<{ readonly name: string; readonly args: ReadonlyArray<string> }> = [
      { name: "(e) orderops balance (dry run), the bin", args: [bundle, "balance"] },
      { name: "    same, unbundled tsc output", args: [dist, "balance"] },
      { name: "    same, from source (type stripping)", args: [join(ROOT, "src/cli/main.ts"), "balance"] }
    ]
    const baselineArgs = ["-e", "import('ccxt')"]
    sample(baselineArgs, env)
    for (const v of variants) sample(v.args, env)
    const base: Array<Sample> = []
    const measured = variants.map(() => [] as Array<Sample>)
    for (let i = 0; i < RUNS; i++) {
      progress(`(e) run ${i + 1}/${RUNS}`)
      base.push(sample(baselineArgs, env))
      variants.forEach((v, j) => measured[j]!.push(sample(v.args, env)))
    }
    const baseMs = median(base.map((s) => s.ms))
    const baseRss = median(base.map((s) => s.rssKb))
    return variants.map((v, j) => {
      const t = median(measured[j]!.map((s) => s.ms))
      const rss = median(measured[j]!.map((s) => s.rssKb))
      const rt = t / baseMs
      const rr = rss / baseRss
      return {
        name: v.name,
        baseline: `${ms(baseMs)}, ${(baseRss / 1024).toFixed(0)} MB`,
        measured: `${ms(t)}, ${(rss / 1024).toFixed(0)} MB`,
        ratio: `${ratio(rt)} time, ${ratio(rr)} RSS`,
        target: j === 0 ? "<= 0.5x both" : "reference",
        verdict: j === 0 ? verdict(rt <= 0.5 && rr <= 0.5) : "INFO",
        ...(j === 0
          ? { note: `baseline: node -e "import('ccxt')"; median of ${RUNS} runs each, interleaved; peak RSS from ${existsSync(TIME) ? "/usr/bin/time" : "process.resourceUsage()"}` }
          : {})
      }
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
