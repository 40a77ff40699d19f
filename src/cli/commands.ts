/**
 * The `orderops` command tree (`effect/cli`): one subcommand per `Exchange`
 * operation, plus `demo`. Shared flags (`--symbol`, `--live`, `--json`, `--yes`)
 * are accepted before or after the subcommand. `runCli(args)` runs one command
 * line and gives the process exit code: 0 success, 1 bad input, 2 exchange,
 * authentication, network or journal failure, 130 interrupted.
 */
import { Config, Console, Effect, Logger, Option, References } from "effect"
import { Argument, Command, Flag, type Prompt } from "effect/cli"
import { Exchange } from "../services/Exchange.ts"
import type { OrderRecord } from "../services/OrderRecord.ts"
import { DryRunMarket } from "../layers/DryRun.ts"
import { confirmed, dryRunLayer, exchangeLayer } from "./environment.ts"
import { amount, cliLogger, CliUsageError, ordersTable, printJson, recordJson, reportFailure, table } from "./output.ts"

export const VERSION = "0.1.0"

// ---- shared flags -----------------------------------------------------------

const root = Command.make("orderops").pipe(
  Command.withSharedFlags({
    symbol: Flag.String("symbol").pipe(
      Flag.withDescription("The market, e.g. HBAR/USDT (default: ORDEROPS_SYMBOL, else HBAR/USDT)"),
      Flag.withFallbackConfig(Config.String("ORDEROPS_SYMBOL")),
      Flag.withDefault("HBAR/USDT")
    ),
    live: Flag.Boolean("live").pipe(
      Flag.withDescription("Trade on the real exchange with ORDEROPS_API_KEY and ORDEROPS_API_SECRET (default: dry run)"),
      Flag.withDefault(false)
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print machine-readable JSON"), Flag.withDefault(false)),
    yes: Flag.Boolean("yes").pipe(
      Flag.withDescription("Do not ask before a live sell-all or cancel-all"),
      Flag.withDefault(false)
    )
  }),
  Command.withDescription(
    "Place, list and cancel orders. Dry run (paper trading, kept in ORDEROPS_JOURNAL) unless --live."
  )
)

interface Shared {
  readonly symbol: string
  readonly live: boolean
  readonly json: boolean
  readonly yes: boolean
}

/**
 * Runs `body` against the exchange the shared flags select; the connection closes
 * when it ends. With `confirm`, a live run first asks that question (before
 * connecting) unless `--yes` was given.
 */
const withExchange = <E>(
  body: (shared: Shared, exchange: Exchange["Service"]) => Effect.Effect<void, E, Prompt.Environment>,
  confirm?: (shared: Shared) => string
) =>
  Effect.gen(function*() {
    const shared = yield* root
    if (confirm !== undefined && shared.live) yield* confirmed(confirm(shared), shared.yes)
    yield* Exchange.use((exchange) => body(shared, exchange)).pipe(
      Effect.provide(exchangeLayer(shared))
    )
  })

const where = (shared: Shared, exchange: Exchange["Service"]) =>
  `${shared.symbol} (${exchange.venue === "dry-run" ? "dry run" : exchange.venue})`

const printRecord = (shared: Shared, exchange: Exchange["Service"], verb: string, record: OrderRecord) =>
  shared.json
    ? printJson(recordJson(record))
    : Console.log(`${verb} ${record.type} ${record.side} order ${record.id} on ${where(shared, exchange)}\n${ordersTable([record])}`)

// ---- order entry ------------------------------------------------------------

const price = Flag.Finite("price").pipe(
  Flag.withDescription("Limit price in the quote currency; snapped to the market's tick (buys down, sells up)")
)
const quantity = Flag.Finite("quantity").pipe(
  Flag.withDescription("Quantity of the base asset; rounded down to the market's lot step")
)

const limitOrder = (side: "buy" | "sell") =>
  Command.make(side, { price, quantity }, ({ price, quantity }) =>
    withExchange((shared, exchange) =>
      Effect.flatMap(
        exchange.placeOrder({ side, type: "limit", price, quantity }),
        (record) => printRecord(shared, exchange, "Placed", record)
      )
    )).pipe(
      Command.withDescription(`Place a limit ${side} order; prints the created order`),
      Command.withExamples([{ command: `orderops ${side} --price 0.1 --quantity 100`, description: `${side} 100 HBAR at 0.1 USDT` }])
    )

const marketSell = Command.make("market-sell", { quantity }, ({ quantity }) =>
  withExchange((shared, exchange) =>
    Effect.flatMap(
      exchange.placeOrder({ side: "sell", type: "market", quantity }),
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
    side: Flag.Literals("side", ["buy", "sell"]).pipe(
      Flag.withDescription("Only this side (default: both)"),
      Flag.optional
    )
  },
  ({ side }) =>
    withExchange((shared, exchange) =>
      Effect.gen(function*() {
        const sides = Option.match(side, { onNone: () => ["buy", "sell"] as const, onSome: (s) => [s] as const })
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
      `Cancel ${Option.match(side, { onNone: () => "every open order", onSome: (s) => `every open ${s} order` })} ` +
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
        const from = Option.getOrUndefined(since)
        const to = Option.getOrUndefined(until)
        if (from !== undefined && to !== undefined && from > to) {
          return yield* new CliUsageError({ detail: "--since is after --until" })
        }
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

const balance = Command.make("balance", {}, () =>
  withExchange((shared, exchange) =>
    Effect.gen(function*() {
      const rules = yield* exchange.marketRules
      const base = yield* exchange.getBaseAssetBalance()
      const quote = yield* exchange.getQuoteBalance()
      if (shared.json) {
        return yield* printJson({ venue: exchange.venue, symbol: shared.symbol, free: { [rules.base]: base, [rules.quote]: quote } })
      }
      yield* Console.log(
        `Free balances on ${where(shared, exchange)}\n${table(["ASSET", "FREE"], [[rules.base, amount(base)], [rules.quote, amount(quote)]])}`
      )
    })
  )).pipe(Command.withDescription("Show the free balances of the market's base and quote assets"))

// ---- the dry run's market -----------------------------------------------------

const marketPrice = Command.make(
  "price",
  {
    set: Flag.Finite("set").pipe(
      Flag.withDescription("Move the simulated price here; orders it crosses fill at once"),
      Flag.optional
    )
  },
  ({ set }) =>
    Effect.gen(function*() {
      const shared = yield* root
      if (shared.live) {
        return yield* new CliUsageError({ detail: "the simulated price exists only in the dry run; drop --live" })
      }
      yield* Effect.gen(function*() {
        const market = yield* DryRunMarket
        const filled = Option.isSome(set) ? yield* market.setPrice(set.value) : []
        const current = yield* market.price()
        if (shared.json) {
          return yield* printJson({ symbol: shared.symbol, price: Option.getOrNull(current), filled: filled.map(recordJson) })
        }
        yield* Console.log(
          `Simulated price of ${shared.symbol}: ${Option.match(current, { onNone: () => "not set", onSome: amount })}` +
            (filled.length > 0 ? `\nFilled:\n${ordersTable(filled)}` : "")
        )
      }).pipe(Effect.provide(dryRunLayer(shared.symbol)))
    })
).pipe(Command.withDescription("Show the dry run's simulated price, or move it with --set (crossed orders fill)"))

// ---- demo -------------------------------------------------------------------

const demo = Command.make(
  "demo",
  {
    ticks: Flag.Int("ticks").pipe(Flag.withDescription("Price moves to simulate"), Flag.withDefault(300)),
    seed: Flag.Int("seed").pipe(Flag.withDescription("Seed of the simulated price path"), Flag.withDefault(42)),
    tickMs: Flag.Int("tick-ms").pipe(Flag.withDescription("Pause between price moves, in ms"), Flag.withDefault(10))
  },
  ({ seed, tickMs, ticks }) =>
    Effect.gen(function*() {
      const shared = yield* root
      if (shared.live) return yield* new CliUsageError({ detail: "the demo runs on the paper exchange only; drop --live" })
      if (ticks < 1 || tickMs < 0) return yield* new CliUsageError({ detail: "--ticks must be at least 1 and --tick-ms at least 0" })
      const { runGridDemo } = yield* Effect.promise(() => import("../examples/grid.ts"))
      yield* runGridDemo({ ticks, seed, tickMillis: tickMs }).pipe(
        Effect.provideService(References.MinimumLogLevel, "Info") // the session's shutdown report
      )
    })
).pipe(Command.withDescription("Run a grid bot on HBAR/USDT against a simulated price path (dry run; Ctrl-C stops it)"))

// ---- the program ------------------------------------------------------------

export const cli = root.pipe(
  Command.withSubcommands([
    limitOrder("buy"),
    limitOrder("sell"),
    marketSell,
    cancel,
    cancelAll,
    orders,
    balance,
    sellAll,
    marketPrice,
    demo
  ])
)

/**
 * Runs one command line and gives its exit code. Library log lines go to stderr
 * at `Warn` and above (`--log-level info` shows more); stdout carries only results.
 */
export const runCli = (args: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: VERSION })(args).pipe(
    Effect.as(0),
    Effect.catchCause(reportFailure),
    Effect.provide(Logger.layer([cliLogger])),
    Effect.provideService(References.MinimumLogLevel, "Warn")
  )
