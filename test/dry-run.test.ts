import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Option, References } from "effect"
import { TestClock } from "effect/testing"
import {
  activeOrders,
  cancelOrder,
  createLimitBuy,
  createLimitSell,
  createMarketSell,
  DryRunExchangeLayer,
  DryRunMarket,
  type DryRunOptions,
  Exchange,
  fetchAllOrders,
  fetchOpenOrders,
  fetchOrder,
  fetchTrades,
  getBaseAssetBalance,
  getUsdtBalance,
  OrderJournal,
  sellAllAssets
} from "../src/index.ts"
import { MarketControl, SUITE_FEES, suite } from "./support/conformance.ts"
import { eventsSuite } from "./support/conformance-events.ts"
import { text } from "./support/amounts.ts"

const dryRun = (options: DryRunOptions = {}) => {
  // The suite reads the journal the exchange writes to.
  const exchange = Layer.unwrap(
    Effect.map(OrderJournal, (j) => DryRunExchangeLayer({ ...options, journal: Layer.succeed(OrderJournal, j) }))
  )
  const control = Layer.effect(
    MarketControl,
    Effect.map(DryRunMarket, (m) => {
      const setPrice = (p: number) => Effect.orDie(Effect.asVoid(m.setPrice(p)))
      return MarketControl.of({ setPrice, setPriceUnseen: setPrice, setDepth: (q) => Effect.orDie(m.setDepth(q)) })
    })
  )
  return Layer.provideMerge(control, exchange).pipe(Layer.provideMerge(OrderJournal.layerMemory))
}

suite("dry-run", dryRun({ makerFee: SUITE_FEES.maker, takerFee: SUITE_FEES.taker }))

const setPrice = (p: number) => DryRunMarket.use((m) => m.setPrice(p))

describe("dry-run paper exchange", () => {
  it.effect("charges the fee in the asset received", () =>
    Effect.gen(function*() {
      yield* setPrice(0.1)
      yield* createLimitBuy(0.1, 100) // crosses at once: fills at 0.1
      assert.strictEqual(text(yield* getBaseAssetBalance()), "99.9") // 0.1% of 100 HBAR
      assert.strictEqual(text(yield* getUsdtBalance()), "990")
      yield* createLimitSell(0.2, 50)
      yield* setPrice(0.2)
      assert.strictEqual(text(yield* getUsdtBalance()), "999.99") // 50 × 0.2 = 10, less 0.01
      assert.strictEqual(text(yield* getBaseAssetBalance()), "49.9")
    }).pipe(Effect.provide(DryRunExchangeLayer())))

  it.effect("feeRate (deprecated) sets both fees; makerFee and takerFee win over it", () =>
    Effect.gen(function*() {
      const boughtWith = (options: DryRunOptions) =>
        Effect.gen(function*() {
          yield* createLimitBuy(0.2, 100) // taker, at the market's 0.1
          yield* createLimitBuy(0.05, 100)
          yield* setPrice(0.05) // maker, at its own 0.05
          return yield* getBaseAssetBalance()
        }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, ...options })))
      assert.strictEqual(text(yield* boughtWith({ feeRate: 0 })), "200")
      assert.strictEqual(text(yield* boughtWith({ feeRate: 0.01 })), "198")
      assert.strictEqual(text(yield* boughtWith({ feeRate: 0.01, takerFee: 0 })), "199")
      assert.strictEqual(text(yield* boughtWith({ makerFee: 0.005, takerFee: 0.003 })), "199.2")
    }))

  it.effect("a resting sell locks its base, and a cancel gives it back", () =>
    Effect.gen(function*() {
      yield* setPrice(0.1)
      const sell = yield* createLimitSell(0.15, 300)
      assert.strictEqual(text(yield* getBaseAssetBalance()), "200")
      const more = yield* Effect.flip(createLimitSell(0.15, 201))
      assert.strictEqual(more._tag === "ExchangeError" && more.reason, "InsufficientFunds")
      yield* cancelOrder(sell)
      assert.strictEqual(text(yield* getBaseAssetBalance()), "500")
    }).pipe(Effect.provide(DryRunExchangeLayer({ balances: { USDT: 0, HBAR: 500 } }))))

  it.effect("with a depth, a market order fills that much and its rest expires; a cancel after a partial fill frees only the rest", () =>
    Effect.gen(function*() {
      const market = yield* DryRunMarket
      yield* market.setDepth(30)
      const sold = yield* Exchange.use((ex) => ex.placeOrder({ side: "sell", type: "market", quantity: 100 }))
      assert.deepStrictEqual([sold.status, text(sold.filled), text(sold.cost), text(sold.averagePrice)], ["expired", "30", "3", "0.1"])
      assert.strictEqual(text(yield* getBaseAssetBalance()), "470")
      const buy = yield* createLimitBuy(0.09, 100) // rests, locks 9 USDT
      yield* setPrice(0.085) // 30 fill
      assert.strictEqual(text(yield* getUsdtBalance()), "993.997") // 1000 + 3 - 0.003 - 9 locked
      yield* cancelOrder(buy)
      const canceled = yield* fetchOrder(buy)
      assert.deepStrictEqual([canceled.status, text(canceled.filled)], ["canceled", "30"])
      assert.strictEqual(text(yield* getUsdtBalance()), "1000.297") // 70 × 0.09 = 6.3 back; 30 × 0.09 = 2.7 spent
      const trades = yield* fetchTrades()
      assert.deepStrictEqual(trades.map((t) => [t.orderId, text(t.quantity), t.maker]), [[sold.id, "30", false], [buy, "30", true]])
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1000, HBAR: 500 } }))))

  it.effect("two equal orders get distinct dry_run_ ids", () =>
    Effect.gen(function*() {
      const a = yield* createLimitBuy(0.1, 100)
      const b = yield* createLimitBuy(0.1, 100)
      assert.notStrictEqual(a, b)
      assert.isTrue(a.startsWith("dry_run_") && b.startsWith("dry_run_"))
    }).pipe(Effect.provide(DryRunExchangeLayer())))

  it.effect("sellAllAssets treats a balance below the lot minimum or the min notional as dust", () =>
    Effect.gen(function*() {
      const market = yield* DryRunMarket
      yield* market.setBalance("HBAR", 0.7) // below min quantity 1
      assert.isTrue(Option.isNone(yield* sellAllAssets()))
      yield* market.setBalance("HBAR", 9.99) // 9 HBAR × 0.1 = 0.9 USDT < 1 USDT min notional
      assert.isTrue(Option.isNone(yield* sellAllAssets()))
      assert.strictEqual((yield* fetchAllOrders()).length, 0)
      yield* market.setBalance("HBAR", 10.99) // 10 × 0.1 = 1 USDT: sellable, rounded down to the step
      const sold = yield* sellAllAssets()
      assert.isTrue(Option.isSome(sold))
      const [order] = yield* fetchAllOrders()
      assert.strictEqual(text(order!.quantity), "10")
      assert.strictEqual(text(yield* getBaseAssetBalance()), "0.99")
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1 }))))

  it.effect("100 concurrent creates and cancels lose no update of the Ref", () =>
    Effect.gen(function*() {
      yield* setPrice(0.5)
      const ids = yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) =>
        createLimitBuy(0.1 + i * 0.001, 10), { concurrency: "unbounded" })
      assert.strictEqual(new Set(ids).size, 100)
      assert.strictEqual((yield* activeOrders).size, 100)
      const cancelled = ids.filter((_, i) => i % 2 === 0)
      yield* Effect.all([
        Effect.forEach(cancelled, cancelOrder, { concurrency: "unbounded" }),
        Effect.forEach(Array.from({ length: 50 }, (_, i) => i), () => createLimitBuy(0.2, 10), { concurrency: "unbounded" })
      ], { concurrency: "unbounded" })
      const active = yield* activeOrders
      const open = yield* fetchOpenOrders()
      assert.strictEqual(active.size, 100)
      assert.deepStrictEqual([...active.keys()].sort(), open.map((o) => o.id).sort())
      for (const id of cancelled) assert.isFalse(active.has(id))
    }).pipe(Effect.provide(DryRunExchangeLayer({ balances: { USDT: 100000 } }))))

  it.effect("the 201st open order is refused by the max-open-orders rule before it is sent", () =>
    Effect.gen(function*() {
      yield* setPrice(1)
      yield* Effect.forEach(Array.from({ length: 200 }, () => 0), () => createLimitBuy(0.1, 10), { discard: true })
      const e = yield* Effect.flip(createLimitBuy(0.1, 10))
      assert.strictEqual(e._tag === "ValidationError" && e.rule, "MaxOpenOrders")
      assert.strictEqual((yield* fetchOpenOrders()).length, 200)
    }).pipe(Effect.provide(DryRunExchangeLayer({ balances: { USDT: 1000 } }))))

  it.effect("an order type the market does not allow is refused", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(createMarketSell(10))
      assert.strictEqual(e._tag === "ValidationError" && e.rule, "OrderTypeNotAllowed")
      assert.strictEqual(e._tag === "ValidationError" && e.symbol, "BTC/USD")
    }).pipe(Effect.provide(DryRunExchangeLayer({
      symbol: "BTC/USD",
      balances: { BTC: 1 },
      price: 50000,
      markets: { "BTC/USD": { tickSize: "0.01", stepSize: "0.00001", minNotional: 10, orderTypes: ["limit"] } }
    }))))

  it.effect("works for any configured market and symbol", () =>
    Effect.gen(function*() {
      const id = yield* createLimitSell(60000.004, 0.123456)
      const [o] = yield* fetchOpenOrders()
      assert.strictEqual(o!.id, id)
      assert.strictEqual(o!.symbol, "BTC/USD")
      assert.strictEqual(text(o!.price), "60000.01")
      assert.strictEqual(text(o!.quantity), "0.12345")
      assert.strictEqual(text(yield* getBaseAssetBalance()), "0.87655")
    }).pipe(Effect.provide(DryRunExchangeLayer({
      symbol: "BTC/USD",
      balances: { BTC: 1 },
      price: 50000,
      markets: { "BTC/USD": { tickSize: "0.01", stepSize: "0.00001", minNotional: 10 } }
    }))))

  it.effect("an unknown market fails the layer with a ValidationError", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Effect.provide(getUsdtBalance(), DryRunExchangeLayer({ symbol: "DOGE/USDT" })))
      assert.strictEqual(e._tag === "ValidationError" && e.rule, "UnknownMarket")
    }))

  it.effect("timestamps come from the Clock, so TestClock controls them", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("10 seconds")
      yield* createLimitBuy(0.1, 100)
      yield* TestClock.adjust("5 seconds")
      yield* createLimitBuy(0.1, 100)
      assert.deepStrictEqual((yield* fetchAllOrders()).map((o) => o.timestamp), [10_000, 15_000])
      assert.strictEqual((yield* fetchAllOrders(12_000)).length, 1)
      assert.strictEqual((yield* fetchAllOrders(0, 12_000)).length, 1)
      const e = yield* Effect.flip(fetchAllOrders(Number.NaN))
      assert.strictEqual(e._tag, "ValidationError")
    }).pipe(Effect.provide(DryRunExchangeLayer())))

  it.effect("fetchAllOrders and fetchTrades over 3 days give all 1,100 orders and their trades, oldest first (more than a page, longer than a day)", () =>
    Effect.gen(function*() {
      const DAY = 86_400_000
      const placed: Array<string> = []
      for (let i = 0; i < 1_100; i++) {
        placed.push(yield* createLimitBuy(0.11, 100)) // crosses the price: fills at once, one trade
        yield* TestClock.adjust(Math.floor((3 * DAY) / 1_100))
      }
      const orders = yield* fetchAllOrders(0, 3 * DAY)
      assert.deepStrictEqual(orders.map((o) => o.id), placed)
      assert.isTrue(orders.every((o, i) => i === 0 || o.timestamp > orders[i - 1]!.timestamp))
      assert.deepStrictEqual((yield* fetchTrades(0, 3 * DAY)).map((t) => t.orderId), placed)
      const secondDay = orders.filter((o) => o.timestamp >= DAY && o.timestamp < 2 * DAY).map((o) => o.id)
      assert.isAbove(secondDay.length, 300)
      assert.deepStrictEqual((yield* fetchAllOrders(DAY, 2 * DAY - 1)).map((o) => o.id), secondDay)
    }).pipe(Effect.provide(DryRunExchangeLayer({ price: 0.1, balances: { USDT: 1_000_000 } }))))

  it.effect("logs one info line per create and cancel with symbol and order ids, and an error line per failure", () =>
    Effect.gen(function*() {
      const lines: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
      const capture = Logger.make(({ logLevel, message, fiber }) => {
        lines.push({
          level: logLevel,
          message: (message as ReadonlyArray<unknown>).map(String).join(" "),
          annotations: { ...fiber.getRef(References.CurrentLogAnnotations) }
        })
      })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.1, 100)
        yield* cancelOrder(id)
        yield* Effect.flip(createLimitBuy(0.1, 0))
      }).pipe(Effect.provide(Layer.merge(DryRunExchangeLayer(), Logger.layer([capture]))))
      const info = lines.filter((l) => l.level === "Info")
      assert.deepStrictEqual(info.map((l) => l.message), [
        "Created limit buy order: HBAR/USDT at 0.1 for 100",
        "Canceled limit buy order: HBAR/USDT dry_run_1"
      ])
      for (const l of info) {
        assert.strictEqual(l.annotations.symbol, "HBAR/USDT")
        assert.strictEqual(l.annotations.orderId, "dry_run_1")
        assert.match(String(l.annotations.clientOrderId), /^oo_/)
      }
      const errors = lines.filter((l) => l.level === "Error")
      assert.strictEqual(errors.length, 1)
      assert.match(errors[0]!.message, /createLimitBuy failed: .*NotPositive/)
      assert.isFalse(lines.some((l) => l.level === "Debug"))
    }))

  it.effect("debug: one line explains each request", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Debug") lines.push((message as ReadonlyArray<unknown>).map(String).join(" "))
      })
      yield* Effect.gen(function*() {
        const id = yield* createLimitBuy(0.1, 100)
        yield* cancelOrder(id)
      }).pipe(Effect.provide(Layer.merge(DryRunExchangeLayer({ debug: true }), Logger.layer([capture]))))
      // Exactly one line per simulated request (the order, then its cancel), and no other debug line.
      assert.strictEqual(lines.length, 2, lines.join("\n"))
      assert.match(lines[0]!, /^dry-run: submit limit buy 100 HBAR\/USDT at 0\.1, client order id oo_[a-z0-9_]+$/)
      assert.strictEqual(lines[1], "dry-run: cancel order dry_run_1 on HBAR/USDT")
    }))
})

eventsSuite("dry-run", dryRun({ makerFee: SUITE_FEES.maker, takerFee: SUITE_FEES.taker }), { source: "connected" })
