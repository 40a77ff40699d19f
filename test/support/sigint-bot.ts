/**
 * A tiny bot for the SIGINT test: in an order session on the dry-run exchange
 * (journal from ORDEROPS_JOURNAL), it places three buys below and two sells above
 * the price, prints `ready`, and waits forever. SIGINT or SIGTERM interrupts it
 * through `NodeRuntime.runMain`; the session then cancels the five orders.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { createLimitBuy, createLimitSell, DryRunExchangeLayer, withOrderSession } from "../../src/index.ts"
import { JournalLayerFromEnv } from "../../src/layers/journal/Journal.ts"

const bot = Effect.gen(function*() {
  const ids = [
    yield* createLimitBuy(0.09, 100),
    yield* createLimitBuy(0.08, 100),
    yield* createLimitBuy(0.07, 100),
    yield* createLimitSell(0.11, 100),
    yield* createLimitSell(0.12, 100)
  ]
  yield* Console.log(`ready ${ids.join(",")}`)
  return yield* Effect.never
})

bot.pipe(
  withOrderSession(),
  Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 1000 }, journal: JournalLayerFromEnv })),
  NodeRuntime.runMain
)
