/**
 * The `orderops` command tree (`effect/cli`): one subcommand per `Exchange`
 * operation, plus the dry run's own (`price`, `paper`, `demo`, in `paper.ts`).
 * Shared flags (`shared.ts`) are accepted before or after the subcommand. `runCli(args)` runs one command
 * line and gives the process exit code: 0 success, 1 bad input, 2 exchange,
 * authentication, network or journal failure, 130 interrupted.
 */
import { Console, Effect, Logger, Option, References } from "effect"
import { Argument, CliOutput, Command, Flag } from "effect/cli"
import {
  amount,
  CliInputError,
  CliUsageError,
  ordersTable,
  printJson,
  recordJson,
  reportFailure,
  table,
  tradeJson,
  tradesTable,
  usagePresenter
} from "./output.ts"
import { demo, marketPrice, paper } from "./paper.ts"
import { protectiveCommands } from "./protective.ts"
import { formatFromConfig, type LogFormat } from "../services/LogFormat.ts"
import { cliLogger, globalFlags } from "./settings.ts"
import { place, printRecord, root, where, withExchange } from "./shared.ts"
import { watch } from "./watch.ts"

export const VERSION = "0.1.0"

// ---- order entry ------------------------------------------------------------

const price = Flag.String("price").pipe(
  Flag.withDescription("Limit price in the quote currency; snapped to the market's tick (buys down, sells up)")
)
const quantity = Flag.String("quantity").pipe(
  Flag.withDescription("Quantity of the base asset; rounded down to the market's lot step")
)

const limitOrder = (side: "buy" | "sell") =>
  Command.make(side, { price, quantity }, ({ price, quantity }) =>
    withExchange((shared, exchange) =>
      Effect.flatMap(
        place(exchange, { side, type: "limit", price, quantity }, { side, price, quantity }),
        (record) => printRecord(shared, exchange, "Placed", record)
      )
    )).pipe(
      Command.withDescription(`Place a limit ${side} order; prints the created order`),
      Command.withExamples([{ command: `orderops ${side} --price 0.1 --quantity 100`, description: `${side} 100 HBAR at 0.1 USDT` }])
    )

const marketSell = Command.make("market-sell", { quantity }, ({ quantity }) =>
  withExchange((shared, exchange) =>
    Effect.flatMap(
      place(exchange, { side: "sell", type: "market", quantity }, { side: "sell", quantity }),
      (record) => printRecord(shared, exchange, "Placed", record)
    )
  )).pipe(Command.withDescription("Sell a quantity of the base asset at the market price"))

const sellAll = Command.make("sell-all", {}, () =>
  withExchange((shared, exchange) =>
    Effect.gen(function*() {
      const sold = yield* exchange.sellAllAssets()
      if (Option.isNone(sold)) {
        return yield* shared.json ? printJson(null) : Console.log(`Nothing to sell on ${where(shared, exchange)}: the free balance is dust.`)
      }
      yield* printRecord(shared, exchange, "Placed", yield* exchange.fetchOrder(sold.value))
    }), (shared) => `Sell the whole free base balance of ${shared.symbol} at market on the live exchange?`)
).pipe(Command.withDescription("Market-sell the whole free base balance, rounded down to the lot step (dust is left)"))

// ---- cancels ----------------------------------------------------------------

const cancel = Command.make("cancel", { id: Argument.String("id").pipe(Argument.withDescription("The order id")) }, ({ id }) =>
  withExchange((shared, exchange) =>
    Effect.gen(function*() {
      yield* exchange.cancelOrder(id)
      yield* shared.json ? printJson({ canceled: [id] }) : Console.log(`Canceled order ${id} on ${where(shared, exchange)}.`)
    })
  )).pipe(Command.withDescription("Cancel one open order by id"))

const cancelAll = Command.make(
  "cancel-all",
  {
    side: Flag.Literals("side", ["buy", "sell", "both"]).pipe(
      Flag.withDescription("Only this side, or both"),
      Flag.withDefault("both")
    )
  },
  ({ side }) =>
    withExchange((shared, exchange) =>
      Effect.gen(function*() {
        const sides = side === "both" ? ["buy", "sell"] as const : [side]
        const ids: Array<string> = []
        for (const s of sides) {
          ids.push(...(yield* (s === "buy" ? exchange.cancelAllBuyOrders() : exchange.cancelAllSellOrders())))
        }
        if (shared.json) return yield* printJson({ canceled: ids })
        yield* Console.log(
          `Canceled ${ids.length} order${ids.length === 1 ? "" : "s"} on ${where(shared, exchange)}` +
            (ids.length > 0 ? `: ${ids.join(", ")}` : ".")
        )
      }), (shared) =>
      `Cancel ${side === "both" ? "every open order" : `every open ${side} order`} ` +
      `on ${shared.symbol} on the live exchange?`)
).pipe(Command.withDescription("Cancel every open order on the market, or those on one side"))

// ---- reads ------------------------------------------------------------------

/** Epoch ms, an ISO date or date-time, or an age such as `30m`, `24h`, `7d`. */
export const parseTime = (text: string, now: number = Date.now()): number => {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(t)
  const age = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(t)
  if (age) return Math.round(now - Number(age[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[age[2] as "s" | "m" | "h" | "d"])
  const parsed = Date.parse(t)
  if (Number.isNaN(parsed)) throw new Error(`"${text}" is not a time: use epoch ms, an ISO date (2025-01-31T12:00Z) or an age (24h, 7d)`)
  return parsed
}

const timeFlag = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.mapTryCatch(parseTime, (e) => (e instanceof Error ? e.message : String(e))),
    Flag.optional
  )

/** The `--since` / `--until` window; `--since` after `--until` is a usage error. */
const timeWindow = (since: Option.Option<number>, until: Option.Option<number>) => {
  const from = Option.getOrUndefined(since)
  const to = Option.getOrUndefined(until)
  return from !== undefined && to !== undefined && from > to
    ? Effect.fail(new CliUsageError({ detail: "--since is after --until" }))
    : Effect.succeed({ from, to })
}

const orders = Command.make(
  "orders",
  {
    open: Flag.Boolean("open").pipe(Flag.withDescription("Only the open orders"), Flag.withDefault(false)),
    since: timeFlag("since", "From this time: epoch ms, ISO date, or an age like 24h"),
    until: timeFlag("until", "Up to this time: epoch ms, ISO date, or an age like 1h")
  },
  ({ open, since, until }) =>
    withExchange((shared, exchange) =>
      Effect.gen(function*() {
        const { from, to } = yield* timeWindow(since, until)
        const list = open
          ? (yield* exchange.fetchOpenOrders()).filter((o) =>
            (from === undefined || o.timestamp >= from) && (to === undefined || o.timestamp <= to)
          )
          : yield* exchange.fetchAllOrders(from, to)
        const sorted = [...list].sort((a, b) => a.timestamp - b.timestamp || a.id.localeCompare(b.id))
        yield* shared.json ? printJson(sorted.map(recordJson)) : Console.log(ordersTable(sorted))
      })
    )
).pipe(Command.withDescription("List the market's orders, oldest first (all of them, or --open)"))

const trades = Command.make(
  "trades",
  {
    since: timeFlag("since", "From this time: epoch ms, ISO date, or an age like 24h"),
    until: timeFlag("until", "Up to this time: epoch ms, ISO date, or an age like 1h")
  },
  ({ since, until }) =>
    withExchange((shared, exchange) =>
      Effect.gen(function*() {
        const { from, to } = yield* timeWindow(since, until)
        const list = yield* exchange.fetchTrades(from, to)
        yield* shared.json ? printJson(list.map(tradeJson)) : Console.log(tradesTable(list))
      })
    )
).pipe(Command.withDescription("List the market's trades (each fill of an order), oldest first, with their fees"))

const balance = Command.make("balance", {}, () =>
  withExchange((shared, exchange) =>
    Effect.gen(function*() {
      const rules = yield* exchange.marketRules
      const base = yield* exchange.getBaseAssetBalance()
      const quote = yield* exchange.getQuoteBalance()
      if (shared.json) {
        return yield* printJson({ venue: exchange.venue, symbol: shared.symbol, free: { [rules.base]: amount(base), [rules.quote]: amount(quote) } })
      }
      yield* Console.log(
        `Free balances on ${where(shared, exchange)}\n${table(["ASSET", "FREE"], [[rules.base, amount(base)], [rules.quote, amount(quote)]])}`
      )
    })
  )).pipe(Command.withDescription("Show the free balances of the market's base and quote assets"))

// ---- the program ------------------------------------------------------------

const subcommands = [
  limitOrder("buy"),
  limitOrder("sell"),
  marketSell,
  ...protectiveCommands,
  cancel,
  cancelAll,
  orders,
  trades,
  balance,
  watch,
  sellAll,
  marketPrice,
  paper,
  demo
] as const

export const cli = root.pipe(Command.withSubcommands(subcommands), Command.withGlobalFlags(globalFlags))

const commandNames = subcommands.map((c) => c.name)

/**
 * The log format `args` or `ORDEROPS_LOG_FORMAT` ask for, for the lines the command
 * writes about a failure, outside any command (the `--log-format` flag itself is
 * only read for a command that parsed); `line` when neither says it well.
 */
const requestedLogFormat = (args: ReadonlyArray<string>): Effect.Effect<LogFormat> => {
  const i = args.findIndex((a) => a === "--log-format" || a.startsWith("--log-format="))
  const given = i < 0 ? undefined : args[i]!.includes("=") ? args[i]!.slice("--log-format=".length) : args[i + 1]
  if (given === "json" || given === "line") return Effect.succeed(given)
  return Effect.orElseSucceed(formatFromConfig, () => "line" as const)
}

/**
 * Runs one command line and gives its exit code. Library log lines go to stderr
 * at `Warn` and above (`--log-level info` shows more); stdout carries only results.
 * A command line that does not parse, or names no command (`orderops --symbol
 * balance`: the flag took the command as its value), gets one line on stderr,
 * not the help, and exit code 1.
 */
export const runCli = (args: ReadonlyArray<string>) =>
  Effect.flatMap(requestedLogFormat(args), (format) =>
    Command.runWith(cli, { version: VERSION })(args).pipe(
      Effect.as(0),
      Effect.catchCause((cause) => reportFailure(cause, args, format)),
      Effect.provideService(CliOutput.Presenter, usagePresenter(args, commandNames, format))
    )).pipe(
    Effect.provide(Logger.layer([cliLogger])),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
