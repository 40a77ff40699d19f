/**
 * Where the `orderops` command gets its exchange, its journal and its
 * confirmations. The layer choice lives here, in one function per decision, so
 * that the commands never know which one they run against.
 *
 * The dry run (the default) keeps its paper book in the journal (`--journal`,
 * `ORDEROPS_JOURNAL`, default `journal.sqlite` in `ORDEROPS_HOME`: `home.ts`), so a
 * session carries over between commands, whatever the current folder. It knows the built-in Binance.US markets
 * (`BINANCE_US_SPOT`); rules given on the command line override them or add a
 * market. `--live` builds the ccxt layer from the `ORDEROPS_*` variables; it is
 * imported on demand, so nothing on the dry-run path loads ccxt.
 */
import { type Config, Context, Effect, Layer } from "effect"
import { Prompt } from "effect/cli"
import type { ExchangeFailure } from "../errors/index.ts"
import { DryRunExchangeLayer, type DryRunMarket } from "../layers/dryrun/DryRun.ts"
import type { Exchange } from "../services/Exchange.ts"
import { BINANCE_US_SPOT, type MarketRulesInput } from "../services/MarketRules.ts"
import { journalLayer } from "./home.ts"
import { CliUsageError } from "./output.ts"
import { suggestion } from "./symbols.ts"

/** Market rules given on the command line (dry run only), as exact decimal text. */
export interface MarketFlags {
  readonly tickSize?: string | undefined
  readonly stepSize?: string | undefined
  readonly minQuantity?: string | undefined
  readonly minNotional?: string | undefined
}

export interface Target {
  readonly symbol: string
  readonly live: boolean
  readonly market?: MarketFlags
}

/** What a fresh paper account holds; `orderops paper reset` returns to it. */
export const PAPER_START: Readonly<Record<string, number>> = { USDT: 1000 }

/** The journal every command uses: `--journal`, `ORDEROPS_JOURNAL`, or the one in `ORDEROPS_HOME` (`home.ts`). */
export { journalLayer }

/**
 * The dry run's markets: the built-in table, with `symbol`'s rules overridden by
 * (or, for a market the table lacks, made from) the flags. A market the table
 * lacks needs at least `--tick` and `--step`.
 */
export const dryRunMarkets = (
  symbol: string,
  flags: MarketFlags = {}
): Effect.Effect<Record<string, MarketRulesInput>, CliUsageError> => {
  const given: { -readonly [K in keyof MarketFlags]?: string } = {}
  for (const [key, value] of Object.entries(flags) as Array<[keyof MarketFlags, string | undefined]>) {
    if (value !== undefined) given[key] = value
  }
  const known = BINANCE_US_SPOT[symbol]
  const tickSize = given.tickSize ?? known?.tickSize
  const stepSize = given.stepSize ?? known?.stepSize
  if (tickSize === undefined || stepSize === undefined) {
    return Effect.fail(
      new CliUsageError({
        detail: `no built-in rules for ${symbol}: give --tick and --step (and --min-quantity, --min-notional), ` +
          `or use a built-in market (${suggestion(symbol)})`
      })
    )
  }
  if (known === undefined && !/^[^/\s]+\/[^/\s]+$/.test(symbol)) {
    return Effect.fail(new CliUsageError({ detail: `--symbol ${symbol} is not BASE/QUOTE` }))
  }
  return Effect.succeed({ ...BINANCE_US_SPOT, [symbol]: { ...known, ...given, tickSize, stepSize } })
}

/**
 * The paper exchange over the journal file: balances and open orders survive between
 * commands. A one-shot command has no use for order events (`events: false`).
 */
export const dryRunLayer = (
  symbol: string,
  flags?: MarketFlags
): Layer.Layer<Exchange | DryRunMarket, ExchangeFailure | CliUsageError> =>
  Layer.unwrap(
    Effect.map(dryRunMarkets(symbol, flags), (markets) =>
      DryRunExchangeLayer({ symbol, markets, balances: { ...PAPER_START }, journal: journalLayer, events: false }))
  )

/**
 * The live exchange from the environment (`ORDEROPS_API_KEY`, `ORDEROPS_API_SECRET`,
 * `ORDEROPS_EXCHANGE`, `ORDEROPS_BASE_URL`), journaled like the dry run. Imported
 * on demand: ccxt is only loaded when this layer is built. With `events: false` (a
 * one-shot command) no user stream is opened and nothing polls.
 */
export const liveLayer = (symbol: string, events: boolean): Layer.Layer<Exchange, ExchangeFailure | Config.ConfigError> =>
  Layer.unwrap(
    Effect.gen(function*() {
      const live = yield* Effect.promise(() => import("../layers/live/Live.ts"))
      const options = yield* live.liveOptionsFromConfig()
      // `--symbol` wins over ORDEROPS_SYMBOL, whose value is already the flag's default.
      return live.LiveExchangeLayer({
        ...options,
        symbol,
        journal: journalLayer,
        ...(events ? {} : { events: false as const, userStream: false as const })
      })
    })
  )

/** The `Exchange` a command runs against. */
export const exchangeLayer = (target: Target): Layer.Layer<Exchange, ExchangeFailure | Config.ConfigError | CliUsageError> =>
  target.live ? liveLayer(target.symbol, false) : dryRunLayer(target.symbol, target.market)

// ---- confirmation -----------------------------------------------------------

export type Confirm = (question: string) => Effect.Effect<boolean, CliUsageError, Prompt.Environment>

/** Asks on the terminal; without one, refuses rather than guess. */
export const terminalConfirm: Confirm = (question) =>
  process.stdin.isTTY !== true
    ? Effect.fail(
      new CliUsageError({ detail: `not confirmed: there is no terminal to ask "${question}"; pass --yes to proceed` })
    )
    : Prompt.run(Prompt.Confirm({ message: question, initial: false })).pipe(
      Effect.catchTag("QuitError", () => Effect.succeed(false))
    )

/** How destructive live commands ask for confirmation. Tests provide their own answer. */
export const Confirmation = Context.Reference<Confirm>("orderops/cli/Confirmation", { defaultValue: () => terminalConfirm })

/** Succeeds when `--yes` was given or the user said yes; fails with a usage error (exit 1) otherwise. */
export const confirmed = (question: string, yes: boolean) =>
  yes
    ? Effect.void
    : Effect.gen(function*() {
      const confirm = yield* Confirmation
      const ok = yield* confirm(question)
      if (!ok) return yield* new CliUsageError({ detail: "aborted: not confirmed" })
    })
