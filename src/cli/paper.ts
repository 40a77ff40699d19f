/**
 * The commands that exist only in the dry run: the simulated price (`price`), the
 * paper account (`paper`, `paper fund`, `paper reset`) and the grid-bot `demo`.
 * The paper account is changed only through the public `Exchange` operations and
 * `DryRunMarket.setBalance`, never by touching the dry run's storage.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { DryRunMarket } from "../layers/dryrun/DryRun.ts"
import * as D from "../services/Decimal.ts"
import { Exchange } from "../services/Exchange.ts"
import { BINANCE_US_SPOT, splitSymbol } from "../services/MarketRules.ts"
import { dryRunLayer, PAPER_START } from "./environment.ts"
import { amount, CliUsageError, ordersTable, printJson, recordJson, table } from "./output.ts"
import { marketFlags, root, type Shared } from "./shared.ts"

/** Runs `body` on the paper exchange of `--symbol`; refused with `--live`. */
const withPaper = <E>(
  what: string,
  body: (shared: Shared, exchange: Exchange["Service"], market: DryRunMarket["Service"]) => Effect.Effect<void, E>
) =>
  Effect.gen(function*() {
    const shared = yield* root
    if (shared.live) return yield* new CliUsageError({ detail: `${what} exists only in the dry run; drop --live` })
    const flags = yield* marketFlags(shared)
    yield* Effect.gen(function*() {
      yield* body(shared, yield* Exchange, yield* DryRunMarket)
    }).pipe(Effect.provide(dryRunLayer(shared.symbol, flags)))
  })

// ---- the simulated price -------------------------------------------------------

export const marketPrice = Command.make(
  "price",
  {
    set: Flag.Finite("set").pipe(
      Flag.withDescription("Move the simulated price here; orders it crosses fill at once"),
      Flag.optional
    )
  },
  ({ set }) =>
    withPaper("the simulated price", (shared, _exchange, market) =>
      Effect.gen(function*() {
        const filled = Option.isSome(set) ? yield* market.setPrice(set.value) : []
        const current = yield* market.price()
        if (shared.json) {
          return yield* printJson({ symbol: shared.symbol, price: Option.getOrNull(current), filled: filled.map(recordJson) })
        }
        yield* Console.log(
          `Simulated price of ${shared.symbol}: ${Option.match(current, { onNone: () => "not set", onSome: amount })}` +
            (filled.length > 0 ? `\nFilled:\n${ordersTable(filled)}` : "")
        )
      }))
).pipe(Command.withDescription("Show the dry run's simulated price, or move it with --set (crossed orders fill)"))

// ---- the paper account ------------------------------------------------------------

/** Every asset the dry run's markets trade, `symbol`'s first. */
const knownAssets = (symbol: string): ReadonlyArray<string> => {
  const assets = new Set<string>()
  for (const s of [symbol, ...Object.keys(BINANCE_US_SPOT)]) {
    Option.map(splitSymbol(s), ({ base, quote }) => assets.add(base).add(quote))
  }
  return [...assets]
}

const startText = Object.entries(PAPER_START).map(([asset, n]) => `${n} ${asset}`).join(", ")

const showAccount = Command.make("paper", {}, () =>
  withPaper("the paper account", (shared, exchange) =>
    Effect.gen(function*() {
      const rules = yield* exchange.marketRules
      const free: Record<string, string> = {}
      for (const asset of knownAssets(shared.symbol)) {
        const n = yield* exchange.getBaseAssetBalance(asset)
        if (!D.isZero(n) || asset === rules.base || asset === rules.quote) free[asset] = D.format(n)
      }
      const open = (yield* exchange.fetchOpenOrders()).length
      if (shared.json) return yield* printJson({ venue: exchange.venue, free, openOrders: { [shared.symbol]: open }, fresh: PAPER_START })
      yield* Console.log(
        `Paper account (dry run)\n${table(["ASSET", "FREE"], Object.entries(free).map(([a, n]) => [a, n]))}\n` +
          `Open orders on ${shared.symbol}: ${open}\n` +
          `A fresh paper account holds ${startText} and nothing else. ` +
          "Add funds with `orderops paper fund ASSET AMOUNT`; start over with `orderops paper reset`."
      )
    }))
).pipe(Command.withDescription("Show the paper account: free balances, open orders, and what a fresh account holds"))

const fund = Command.make(
  "fund",
  {
    asset: Argument.String("asset").pipe(Argument.withDescription("The asset, e.g. USDT or HBAR")),
    add: Argument.String("amount").pipe(Argument.withDescription("How much to add to its free balance"))
  },
  ({ add, asset }) =>
    withPaper("the paper account", (shared, exchange, market) =>
      Effect.gen(function*() {
        const name = asset.toUpperCase()
        const more = D.fromAmount(add)
        if (Option.isNone(more) || !D.isPositive(more.value)) {
          return yield* new CliUsageError({ detail: `amount ${JSON.stringify(add)} is not a decimal number above 0` })
        }
        const before = yield* exchange.getBaseAssetBalance(name)
        const after = D.add(before, more.value)
        // The exact sum is stored, whatever its digits: what is printed is what is kept.
        yield* market.setBalance(name, after)
        if (shared.json) return yield* printJson({ asset: name, free: D.format(after) })
        yield* Console.log(`Funded ${D.format(more.value)} ${name}: free ${name} ${D.format(before)} -> ${D.format(after)} (dry run)`)
      }))
).pipe(Command.withDescription("Add AMOUNT of ASSET to the paper account's free balance"))

/** `--balance ASSET=AMOUNT`s as exact amounts by upper-case asset; a fresh account's (`PAPER_START`) when none is given. */
const startingBalances = (given: Option.Option<Record<string, string>>): Effect.Effect<Record<string, D.Decimal>, CliUsageError> =>
  Effect.gen(function*() {
    if (Option.isNone(given)) return Object.fromEntries(Object.entries(PAPER_START).map(([a, n]) => [a, D.unsafe(n)]))
    const start: Record<string, D.Decimal> = {}
    for (const [asset, text] of Object.entries(given.value)) {
      const read = D.fromAmount(text)
      if (Option.isNone(read) || D.lt(read.value, D.ZERO) || !/^[A-Za-z0-9]+$/.test(asset)) {
        return yield* new CliUsageError({ detail: `--balance ${asset}=${text}: give ASSET=AMOUNT, an amount at or above 0 (e.g. --balance USDT=500)` })
      }
      start[asset.toUpperCase()] = read.value
    }
    return start
  })

const reset = Command.make("reset", {
  balance: Flag.KeyValuePair("balance").pipe(
    Flag.withDescription("A starting free balance, as ASSET=AMOUNT; repeat it for each asset (default: 1000 USDT and nothing else)"),
    Flag.optional
  )
}, ({ balance }) =>
  Effect.gen(function*() {
    const shared = yield* root
    if (shared.live) return yield* new CliUsageError({ detail: "the paper account exists only in the dry run; drop --live" })
    const flags = yield* marketFlags(shared)
    const start = yield* startingBalances(balance)
    // Each market's open orders, through its own paper exchange over the same journal.
    const canceled: Array<string> = []
    for (const symbol of new Set([shared.symbol, ...Object.keys(BINANCE_US_SPOT)])) {
      yield* Effect.gen(function*() {
        const exchange = yield* Exchange
        canceled.push(...(yield* exchange.cancelAllBuyOrders()), ...(yield* exchange.cancelAllSellOrders()))
      }).pipe(Effect.provide(dryRunLayer(symbol, symbol === shared.symbol ? flags : {})))
    }
    yield* Effect.gen(function*() {
      const market = yield* DryRunMarket
      for (const asset of new Set([...knownAssets(shared.symbol), ...Object.keys(start)])) {
        yield* market.setBalance(asset, start[asset] ?? D.ZERO)
      }
    }).pipe(Effect.provide(dryRunLayer(shared.symbol, flags)))
    if (shared.json) return yield* printJson({ canceled, free: Object.fromEntries(Object.entries(start).map(([a, n]) => [a, D.format(n)])) })
    const holds = Option.isNone(balance) ? `${startText} again` : Object.entries(start).map(([a, n]) => `${D.format(n)} ${a}`).join(", ")
    yield* Console.log(
      `Reset the paper account: canceled ${canceled.length} open order${canceled.length === 1 ? "" : "s"}; ` +
        `it holds ${holds}. Past orders stay in the journal.`
    )
  })
).pipe(
  Command.withDescription("Cancel the paper account's open orders and set its balances: a fresh account's, or those given with --balance"),
  Command.withExamples([{ command: "orderops paper reset --balance USDT=500 --balance HBAR=2000", description: "start over with 500 USDT and 2000 HBAR" }])
)

export const paper = showAccount.pipe(Command.withSubcommands([fund, reset]))

// ---- demo -------------------------------------------------------------------

export const demo = Command.make(
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
      yield* runGridDemo({ ticks, seed, tickMillis: tickMs })
    })
).pipe(Command.withDescription("Run a grid bot on HBAR/USDT against a simulated price path (dry run; Ctrl-C stops it)"))
