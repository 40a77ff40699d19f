// A complete orderops program against the dry-run paper exchange: no keys, no network.
// Run it from a clone with `npm run example`.
import { Effect, Option } from "effect"
import {
  activeOrders,
  cancelAllBuyOrders,
  createLimitBuy,
  createLimitSell,
  Decimal,
  DryRun,
  DryRunMarket,
  fetchAllOrders,
  getBaseAssetBalance,
  getUsdtBalance,
  sellAllAssets
} from "orderops"

const program = Effect.gen(function*() {
  const market = yield* DryRunMarket

  // A small ladder of buys under the market.
  const ids = yield* Effect.all([createLimitBuy(0.098, 100), createLimitBuy(0.095, 100), createLimitBuy(0.09, 100)])
  yield* Effect.log(`placed ${ids.join(", ")}; free USDT ${Decimal.format(yield* getUsdtBalance())}`)

  // The price dips: the 0.098 and 0.095 buys fill; the Ref and the balances follow.
  const filled = yield* market.setPrice(0.094)
  yield* Effect.log(`filled ${filled.map((o) => o.id).join(", ")}; HBAR ${Decimal.format(yield* getBaseAssetBalance())}`)

  // Sell part of it above the market, then cancel the buy still resting.
  yield* createLimitSell(0.105, 100)
  const cancelled = yield* cancelAllBuyOrders()
  yield* Effect.log(`cancelled ${cancelled.join(", ")}; still open: ${[...(yield* activeOrders).keys()].join(", ")}`)

  // Sell whatever is left at market; None would mean it was dust.
  const sold = yield* sellAllAssets()
  yield* Effect.log(`sell-all: ${Option.getOrElse(sold, () => "nothing to sell")}`)

  for (const o of yield* fetchAllOrders()) {
    // Amounts are exact BigDecimals: Decimal.format gives their text (Decimal.toNumber a number, for a chart).
    const average = Option.match(o.averagePrice, { onNone: () => "-", onSome: Decimal.format })
    yield* Effect.log(`${o.id} ${o.type} ${o.side} ${Decimal.format(o.filled)}/${Decimal.format(o.quantity)} @ ${average} ${o.status}`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(DryRun.layer({ price: 0.1 }))))
