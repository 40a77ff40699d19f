/**
 * `--symbol` as a person types it. The library speaks ccxt's unified `BASE/QUOTE`
 * (`HBAR/USDT`); people type `hbarusdt` (the exchange's own spelling), `HBAR-USDT`
 * or `hbar/usdt`. Each becomes `HBAR/USDT`: any case, with a slash, a dash or an
 * underscore, or none when the quote is a currency markets are quoted in. A symbol
 * that cannot be read is refused with the nearest known one suggested.
 */
import { BINANCE_US_SPOT } from "../services/MarketRules.ts"

/** The markets the CLI knows by name: the dry run's built-in Binance.US markets. */
export const KNOWN_SYMBOLS: ReadonlyArray<string> = Object.keys(BINANCE_US_SPOT)

/** Currencies markets are quoted in, for splitting `HBARUSDT`: the known markets' quotes and the usual others, longest first. */
const QUOTES: ReadonlyArray<string> = [
  ...new Set([...KNOWN_SYMBOLS.map((s) => s.split("/")[1]!), "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "DAI", "EUR", "BTC", "ETH", "BNB"])
].sort((a, b) => b.length - a.length)

const compact = (symbol: string): string => symbol.replace(/[/_-]/g, "").toUpperCase()

/** Edit distance between two short strings. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length]!
}

/** The known symbol nearest to `typed` (within a few edits, or the first with its base), if one is. */
export const nearestSymbol = (typed: string, known: ReadonlyArray<string> = KNOWN_SYMBOLS): string | undefined => {
  const target = compact(typed)
  let best: { symbol: string; d: number } | undefined
  for (const symbol of known) {
    const d = distance(target, compact(symbol))
    if (best === undefined || d < best.d) best = { symbol, d }
  }
  if (best !== undefined && best.d <= Math.max(2, Math.floor(target.length / 3))) return best.symbol
  return known.find((s) => target.startsWith(s.split("/")[0]!))
}

/** `, nearest known: HBAR/USDT` when there is one, else the list of known symbols. */
export const suggestion = (typed: string, known: ReadonlyArray<string> = KNOWN_SYMBOLS): string => {
  const nearest = nearestSymbol(typed, known)
  return nearest === undefined ? `known symbols: ${known.join(", ")}` : `did you mean ${nearest}?`
}

/**
 * `typed` as `BASE/QUOTE` in capitals, or an error (thrown, for `Flag.mapTryCatch`)
 * that says how to write it and suggests the nearest known symbol.
 */
export const normalizeSymbol = (typed: string, known: ReadonlyArray<string> = KNOWN_SYMBOLS): string => {
  const text = typed.trim().toUpperCase()
  const parts = text.split(/[/_-]/)
  if (parts.length === 2 && parts.every((p) => /^[A-Z0-9]+$/.test(p))) return `${parts[0]}/${parts[1]}`
  if (parts.length === 1 && /^[A-Z0-9]+$/.test(text)) {
    const exact = known.find((s) => compact(s) === text)
    if (exact !== undefined) return exact
    const quote = QUOTES.find((q) => text.endsWith(q) && text.length > q.length)
    if (quote !== undefined) return `${text.slice(0, -quote.length)}/${quote}`
  }
  throw new Error(`"${typed}" is not a market symbol: write it as BASE/QUOTE, e.g. HBAR/USDT; ${suggestion(typed, known)}`)
}
