import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Option, Result } from "effect"
import { Decimal as D, HBAR_USDT, makeRules, sellableQuantity, validateOrder } from "../src/index.ts"
import { BINANCE_US_SPOT } from "../src/services/MarketRules.ts"

const ctx = { operation: "test", symbol: "HBAR/USDT" }

describe("Decimal", () => {
  it("formats exact plain decimals, never exponents or float noise", () => {
    assert.strictEqual(D.format(D.unsafe(0.1 + 0.2)), "0.30000000000000004") // the float, faithfully
    assert.strictEqual(D.format(D.floorTo(D.unsafe(0.1 + 0.2), D.unsafe("0.00001"))), "0.3")
    assert.strictEqual(D.format(D.unsafe(1e-8)), "0.00000001")
    assert.strictEqual(D.format(D.unsafe("1e21")), "1000000000000000000000")
    assert.strictEqual(D.format(D.unsafe("0.10000000")), "0.1")
    assert.strictEqual(D.format(D.mul(D.unsafe("0.00001"), D.unsafe("123456789"))), "1234.56789")
  })

  it("arithmetic keeps exact values at any scale; text, comparison and numbers agree", () => {
    const price = D.floorTo(D.unsafe("0.05"), D.unsafe("0.00001")) // kept at scale 5
    assert.strictEqual(D.format(price), "0.05")
    assert.strictEqual(D.format(D.sub(D.unsafe("12.5"), D.unsafe("12.5"))), "0")
    assert.strictEqual(D.format(D.sub(D.unsafe("0.1"), D.unsafe("12.1"))), "-12")
    assert.strictEqual(D.format(D.mul(D.unsafe("1200"), D.unsafe("10"))), "12000")
    assert.isTrue(D.eq(price, D.unsafe("0.050000")))
    assert.isTrue(D.lt(D.unsafe("0.04999"), price) && D.gt(D.unsafe("0.0500001"), price))
    assert.isTrue(D.isMultipleOf(price, D.unsafe("0.00001")) && !D.isMultipleOf(D.unsafe("0.050001"), D.unsafe("0.00001")))
    assert.strictEqual(D.toNumber(price), 0.05)
    assert.strictEqual(D.toNumber(D.unsafe("123456789.123")), 123456789.123)
    assert.strictEqual(D.toNumber(D.unsafe("0.30000000000000004")), 0.1 + 0.2)
    // Scales far apart still compare (odd exchange input such as "1e-400").
    assert.isTrue(D.lt(D.unsafe("1e-400"), D.unsafe("1e300")))
  })

  it("writes a number's exact decimal text, never an exponent", () => {
    assert.strictEqual(D.formatNumber(0.1), "0.1")
    assert.strictEqual(D.formatNumber(1e-7), "0.0000001")
    assert.strictEqual(D.formatNumber(123456789.123), "123456789.123")
    assert.strictEqual(D.formatNumber(2e21), "2000000000000000000000")
    assert.strictEqual(D.formatNumber(-0.00000123), "-0.00000123")
  })

  it("reads a number as the decimal its shortest form names, or read back through 15 digits", () => {
    // Seeded, so a failure names its input and repeats.
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const samples = [0.05, -0.05, 0.1 + 0.2, 1e-7, 1.5e-10, 123456789.123, 2 ** 53 + 2, 1e21, -1e-300, 5e-324, 73245.9]
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + Math.floor(random() * 17)
      samples.push(Number((random() * 10 ** Math.floor(random() * 12 - 6)).toPrecision(digits)) * (random() < 0.2 ? -1 : 1))
      samples.push(random() * 1000) // up to 17 significant digits
    }
    for (const n of samples) {
      const direct = D.fromNumber(n)
      assert.isTrue(Option.isSome(direct))
      assert.isTrue(D.eq(Option.getOrThrow(direct), D.unsafe(String(n))), `fromNumber(${n})`)
      assert.strictEqual(D.toNumber(Option.getOrThrow(direct)), n, `fromNumber(${n}) round-trips`)
      const fifteen = Option.getOrThrow(D.fromNumber15(n))
      // The number read back through its 15-digit text, whose shortest form names the decimal.
      assert.isTrue(D.eq(fifteen, D.unsafe(String(Number(n.toPrecision(15))))), `fromNumber15(${n})`)
    }
    assert.strictEqual(D.format(Option.getOrThrow(D.fromNumber15(0.1 + 0.2))), "0.3")
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.isTrue(Option.isNone(D.fromNumber(bad)) && Option.isNone(D.fromNumber15(bad)))
    }
  })

  it("snaps down and up to a step", () => {
    assert.strictEqual(D.format(D.floorTo(D.unsafe("0.123456"), D.unsafe("0.00001"))), "0.12345")
    assert.strictEqual(D.format(D.ceilTo(D.unsafe("0.123451"), D.unsafe("0.00001"))), "0.12346")
    assert.strictEqual(D.format(D.ceilTo(D.unsafe("0.12345"), D.unsafe("0.00001"))), "0.12345")
    assert.strictEqual(D.format(D.floorTo(D.unsafe("17"), D.unsafe("5"))), "15")
    assert.strictEqual(D.format(D.floorTo(D.unsafe("0.0049"), D.unsafe("0.01"))), "0")
  })
})

describe("validateOrder", () => {
  const ok = (r: ReturnType<typeof validateOrder>) => {
    assert.isTrue(Result.isSuccess(r), Result.isFailure(r) ? r.failure.message : "")
    return Result.getOrThrow(r)
  }
  const rule = (r: ReturnType<typeof validateOrder>) => (Result.isFailure(r) ? r.failure.rule : "passed")

  it("snaps a buy down and a sell up to the tick, and quantities down to the step", () => {
    const buy = ok(validateOrder(HBAR_USDT, { side: "buy", type: "limit", price: 0.123459, quantity: 10.99 }, ctx))
    assert.strictEqual(D.format(Option.getOrThrow(buy.price)), "0.12345")
    assert.strictEqual(D.format(buy.quantity), "10")
    const sell = ok(validateOrder(HBAR_USDT, { side: "sell", type: "limit", price: 0.123451, quantity: 10 }, ctx))
    assert.strictEqual(D.format(Option.getOrThrow(sell.price)), "0.12346")
  })

  it("names the rule and the values that failed", () => {
    const r = validateOrder(HBAR_USDT, { side: "buy", type: "limit", price: 0.01, quantity: 50.7 }, ctx)
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) {
      assert.strictEqual(r.failure.rule, "MinNotional")
      assert.strictEqual(r.failure.value, "0.5") // 0.01 × 50 after snapping
      assert.strictEqual(r.failure.limit, "1")
      assert.strictEqual(r.failure.operation, "test")
      assert.strictEqual(r.failure.symbol, "HBAR/USDT")
    }
  })

  it("checks a market order's notional against the reference price when one is known", () => {
    const order = { side: "sell", type: "market", quantity: 5 } as const
    assert.strictEqual(rule(validateOrder(HBAR_USDT, order, { ...ctx, referencePrice: D.unsafe("0.1") })), "MinNotional")
    assert.strictEqual(rule(validateOrder(HBAR_USDT, order, { ...ctx, referencePrice: D.unsafe("0.3") })), "passed")
    assert.strictEqual(rule(validateOrder(HBAR_USDT, order, ctx)), "passed")
  })

  it("enforces min and max price, max open orders and a missing limit price", () => {
    const rules = makeRules("X/Y", { tickSize: "0.1", stepSize: "1", minPrice: 1, maxPrice: 10, maxOpenOrders: 2 })
    assert.strictEqual(rule(validateOrder(rules, { side: "buy", type: "limit", price: 0.5, quantity: 1 }, ctx)), "MinPrice")
    assert.strictEqual(rule(validateOrder(rules, { side: "buy", type: "limit", price: 11, quantity: 1 }, ctx)), "MaxPrice")
    assert.strictEqual(rule(validateOrder(rules, { side: "buy", type: "limit", price: 5, quantity: 1 }, { ...ctx, openOrders: 2 })), "MaxOpenOrders")
    assert.strictEqual(rule(validateOrder(rules, { side: "buy", type: "limit", quantity: 1 }, ctx)), "InvalidArgument")
  })

  it("sellableQuantity rounds down to the step and calls dust None", () => {
    assert.strictEqual(Option.map(sellableQuantity(HBAR_USDT, D.unsafe("123.9"), D.unsafe("0.1")), D.format).pipe(Option.getOrNull), "123")
    assert.isTrue(Option.isNone(sellableQuantity(HBAR_USDT, D.unsafe("0.99"), undefined)))
    assert.isTrue(Option.isNone(sellableQuantity(HBAR_USDT, D.unsafe("9"), D.unsafe("0.1"))))
  })
})

describe("built-in Binance.US spot rules", () => {
  const fixture: Record<string, { info: { baseAsset: string; quoteAsset: string; ocoAllowed: boolean; filters: Array<Record<string, string>> } }> = JSON.parse(
    readFileSync(new URL("./fixtures/ccxt/markets/binanceus.json", import.meta.url), "utf8")
  )

  it("hold every market of ccxt's recorded Binance.US data, filter for filter", () => {
    const recorded = Object.keys(fixture)
    assert.isAbove(recorded.length, 5)
    for (const symbol of recorded) {
      const { baseAsset, filters, quoteAsset } = fixture[symbol]!.info
      const filter = (type: string) => filters.find((f) => f["filterType"] === type)!
      const rules = makeRules(symbol, BINANCE_US_SPOT[symbol]!)
      const same = (ours: D.Decimal | Option.Option<D.Decimal>, theirs: string | undefined, what: string) =>
        assert.isTrue(D.eq(Option.isOption(ours) ? Option.getOrThrow(ours) : ours, D.unsafe(theirs!)), `${symbol} ${what}`)
      assert.deepStrictEqual([rules.base, rules.quote], [baseAsset, quoteAsset])
      same(rules.tickSize, filter("PRICE_FILTER")["tickSize"], "tick")
      same(rules.minPrice, filter("PRICE_FILTER")["minPrice"], "min price")
      same(rules.maxPrice, filter("PRICE_FILTER")["maxPrice"], "max price")
      same(rules.stepSize, filter("LOT_SIZE")["stepSize"], "step")
      same(rules.minQuantity, filter("LOT_SIZE")["minQty"], "min quantity")
      same(rules.maxQuantity, filter("LOT_SIZE")["maxQty"], "max quantity")
      same(rules.minNotional, filter("MIN_NOTIONAL")["minNotional"], "min notional")
      assert.strictEqual(Option.getOrThrow(rules.maxOpenOrders), Number(filter("MAX_NUM_ORDERS")["maxNumOrders"]))
      assert.strictEqual(rules.ocoAllowed, fixture[symbol]!.info.ocoAllowed, `${symbol} ocoAllowed`)
    }
    assert.deepStrictEqual(Object.keys(BINANCE_US_SPOT).sort(), ["HBAR/USDT", ...recorded].sort())
  })

  it("HBAR_USDT is the table's HBAR/USDT", () => {
    assert.deepStrictEqual(HBAR_USDT, makeRules("HBAR/USDT", BINANCE_US_SPOT["HBAR/USDT"]!))
  })
})
