/**
 * The `orderops` root command and what every subcommand shares: the flags
 * accepted before or after the subcommand (`--symbol`, `--live`, `--json`,
 * `--yes`, and the dry run's market rules), and running a command body against
 * the exchange those flags select.
 */
import { Config, Console, Effect, Option } from "effect"
import { Command, Flag, type Prompt } from "effect/cli"
import * as D from "../services/Decimal.ts"
import { Exchange } from "../services/Exchange.ts"
import type { ValidationError } from "../errors/ValidationError.ts"
import type { OrderRequest } from "../services/MarketRules.ts"
import type { OrderRecord } from "../services/OrderRecord.ts"
import { explainRefusal, type TypedOrder } from "./explain.ts"
import { confirmed, exchangeLayer, type MarketFlags } from "./environment.ts"
import { CliInputError, CliUsageError, ordersTable, printJson, recordJson } from "./output.ts"
import { normalizeSymbol } from "./symbols.ts"

/** A flag holding a decimal at or above zero, kept as its exact text. */
const decimalFlag = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.mapTryCatch((text) => {
      const read = D.fromAmount(text)
      if (Option.isNone(read) || D.lt(read.value, D.ZERO)) throw new Error(`"${text}" is not a decimal number at or above 0`)
      return D.format(read.value)
    }, (e) => (e instanceof Error ? e.message : String(e))),
    Flag.optional
  )

export const root = Command.make("orderops").pipe(
  Command.withSharedFlags({
    symbol: Flag.String("symbol").pipe(
      Flag.withDescription(
        "The market, e.g. HBAR/USDT, hbarusdt or HBAR-USDT, in any case (default: ORDEROPS_SYMBOL, else HBAR/USDT)"
      ),
      Flag.withFallbackConfig(Config.String("ORDEROPS_SYMBOL")),
      Flag.withDefault("HBAR/USDT"),
      Flag.mapTryCatch((typed) => normalizeSymbol(typed), (e) => (e instanceof Error ? e.message : String(e)))
    ),
    live: Flag.Boolean("live").pipe(
      Flag.withDescription("Trade on the real exchange with ORDEROPS_API_KEY and ORDEROPS_API_SECRET (default: dry run)"),
      Flag.withDefault(false)
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print machine-readable JSON"), Flag.withDefault(false)),
    yes: Flag.Boolean("yes").pipe(
      Flag.withDescription("Do not ask before a live sell-all or cancel-all"),
      Flag.withDefault(false)
    ),
    tick: decimalFlag("tick", "Dry run: the market's price increment (overrides the built-in rules, or gives a new market's)"),
    step: decimalFlag("step", "Dry run: the market's quantity increment"),
    minQuantity: decimalFlag("min-quantity", "Dry run: the smallest order quantity (default: the step)"),
    minNotional: decimalFlag("min-notional", "Dry run: the smallest price × quantity, in the quote currency (default: 0)")
  }),
  Command.withDescription(
    "Place, list and cancel orders. Dry run (paper trading, kept in ORDEROPS_JOURNAL) unless --live."
  )
)

export interface Shared {
  readonly symbol: string
  readonly live: boolean
  readonly json: boolean
  readonly yes: boolean
  readonly tick: Option.Option<string>
  readonly step: Option.Option<string>
  readonly minQuantity: Option.Option<string>
  readonly minNotional: Option.Option<string>
}

/** The market rules given on the command line; refused with `--live`, whose exchange states its own. */
export const marketFlags = (shared: Shared): Effect.Effect<MarketFlags, CliUsageError> => {
  const given = {
    tickSize: Option.getOrUndefined(shared.tick),
    stepSize: Option.getOrUndefined(shared.step),
    minQuantity: Option.getOrUndefined(shared.minQuantity),
    minNotional: Option.getOrUndefined(shared.minNotional)
  }
  const any = Object.values(given).some((v) => v !== undefined)
  return shared.live && any
    ? Effect.fail(new CliUsageError({ detail: "--tick, --step, --min-quantity and --min-notional are for the dry run; the live exchange states its own rules" }))
    : Effect.succeed(given)
}

/**
 * Runs `body` against the exchange the shared flags select; the connection closes
 * when it ends. With `confirm`, a live run first asks that question (before
 * connecting) unless `--yes` was given.
 */
export const withExchange = <E>(
  body: (shared: Shared, exchange: Exchange["Service"]) => Effect.Effect<void, E, Prompt.Environment>,
  confirm?: (shared: Shared) => string
) =>
  Effect.gen(function*() {
    const shared = yield* root
    const market = yield* marketFlags(shared)
    if (confirm !== undefined && shared.live) yield* confirmed(confirm(shared), shared.yes)
    yield* Exchange.use((exchange) => body(shared, exchange)).pipe(
      Effect.provide(exchangeLayer({ symbol: shared.symbol, live: shared.live, market }))
    )
  })

export const where = (shared: Shared, exchange: Exchange["Service"]) =>
  `${shared.symbol} (${exchange.venue === "dry-run" ? "dry run" : exchange.venue})`

export const printRecord = (shared: Shared, exchange: Exchange["Service"], verb: string, record: OrderRecord) =>
  shared.json
    ? printJson(recordJson(record))
    : Console.log(`${verb} ${record.type} ${record.side} order ${record.id} on ${where(shared, exchange)}\n${ordersTable([record])}`)

/**
 * Places `typed` as the person wrote it (decimal text goes to the library as is,
 * exact); a refusal by the market's rules says what was typed and what it became.
 */
export const place = (exchange: Exchange["Service"], request: OrderRequest, typed: TypedOrder) =>
  exchange.placeOrder(request).pipe(
    Effect.catchTag("ValidationError", (e: ValidationError) =>
      Effect.flatMap(exchange.marketRules, (rules) => Effect.fail(new CliInputError({ detail: explainRefusal(e, typed, rules) }))))
  )
