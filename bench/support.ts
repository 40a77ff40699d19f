/**
 * Shared bench plumbing: timing, medians and the result table. Every benchmark
 * measures its baseline in the same run, on the same machine, and reports a ratio.
 */

export interface Row {
  /** What was measured. */
  readonly name: string
  /** The baseline figure, e.g. `5.21 s` (or `-` when the target is absolute). */
  readonly baseline: string
  /** The measured figure. */
  readonly measured: string
  /** measured / baseline, or the absolute figure the target is about. */
  readonly ratio: string
  /** e.g. `<= 1.10x`. */
  readonly target: string
  /** PASS, MISS, INFO (no target) or SKIP. */
  readonly verdict: "PASS" | "MISS" | "INFO" | "SKIP"
  /** Anything the figure needs to be read correctly. */
  readonly note?: string
}

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The value at quantile `q` (0..1) of `xs`, nearest rank. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

/** The spread of per-round figures, as printed next to their median: the middle half and the whole range. */
export const spread = (xs: ReadonlyArray<number>, format: (x: number) => string): string =>
  `IQR ${format(quantile(xs, 0.25))}-${format(quantile(xs, 0.75))}, range ${format(Math.min(...xs))}-${format(Math.max(...xs))}`

/** Milliseconds taken by `f`. */
export const timed = async (f: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await f()
  return performance.now() - start
}

export const ms = (t: number): string => (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${t.toFixed(t < 10 ? 2 : 0)} ms`)
export const ratio = (r: number): string => `${r.toFixed(r < 0.1 ? 3 : 2)}x`
export const verdict = (ok: boolean): "PASS" | "MISS" => (ok ? "PASS" : "MISS")

/** Prints the rows as an aligned table, notes below it. */
export const printTable = (rows: ReadonlyArray<Row>): void => {
  const headers = ["benchmark", "baseline", "measured", "ratio", "target", "result"]
  const cells = rows.map((r) => [r.name, r.baseline, r.measured, r.ratio, r.target, r.verdict])
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: ReadonlyArray<string>) => c.map((x, i) => x.padEnd(widths[i]!)).join("  ").trimEnd()
  console.log(line(headers))
  console.log(widths.map((w) => "-".repeat(w)).join("  "))
  for (const c of cells) console.log(line(c))
  const notes = rows.filter((r) => r.note !== undefined)
  if (notes.length > 0) console.log("")
  for (const r of notes) console.log(`- ${r.name}: ${r.note}`)
}

/** Progress for the person waiting, on stderr so the table stays clean. */
export const progress = (text: string): void => {
  process.stderr.write(`[bench] ${text}\n`)
}
