/**
 * Trigger prices before anything is sent: when a stop-loss or take-profit fires, how
 * its trigger snaps to the tick, that one which would fire at once is refused, and
 * Binance's OCO price order. The same functions decide on every layer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Option, Result } from "effect"
import * as D from "../src/services/Decimal.ts"
import { HBAR_USDT, makeRules, validateOrder } from "../src/services/MarketRules.ts"
import { fires, validateOcoAllowed, validateOcoPrices, validateTrigger } from "../src/services/TriggerRules.ts"

const ctx = { operation: "test", symbol: "HBAR/USDT" }
const last = D.unsafe("0.06")

const trigger = (kind: "stop-loss" | "take-profit", side: "buy" | "sell", price: D.Amount, lastPrice: D.Decimal | null = last) =>
  validateTrigger(HBAR_USDT, { kind, side, triggerPrice: price }, { ...ctx, lastPrice: lastPrice ?? undefined })

const ruleOf = <A>(r: Result.Result<A, { readonly rule: string }>) => (Result.isFailure(r) ? r.failure.rule : "ok")

describe("trigger orders", () => {
  it("fire as Binance's do: a sell stop-loss on a fall to it, a buy one on a rise; take-profit the other way", () => {
    assert.isTrue(fires("stop-loss", "sell", D.unsafe("0.05"), D.unsafe("0.05")))
    assert.isFalse(fires("stop-loss", "sell", D.unsafe("0.05"), D.unsafe("0.05001")))
    assert.isTrue(fires("stop-loss", "buy", D.unsafe("0.07"), D.unsafe("0.07")))
    assert.isFalse(fires("stop-loss", "buy", D.unsafe("0.07"), D.unsafe("0.06999")))
    assert.isTrue(fires("take-profit", "sell", D.unsafe("0.07"), D.unsafe("0.071")))
    assert.isTrue(fires("take-profit", "buy", D.unsafe("0.05"), D.unsafe("0.049")))
    assert.isFalse(fires("take-profit", "buy", D.unsafe("0.05"), D.unsafe("0.051")))
  })

  it("snap the trigger to the tick so that it fires no later than asked", () => {
    const snapped = (r: Result.Result<D.Decimal, unknown>) => D.format(Result.getOrThrow(r))
    assert.strictEqual(snapped(trigger("stop-loss", "sell", "0.050001")), "0.05001")
    assert.strictEqual(snapped(trigger("stop-loss", "buy", "0.070009")), "0.07")
    assert.strictEqual(snapped(trigger("take-profit", "sell", "0.070009")), "0.07")
    assert.strictEqual(snapped(trigger("take-profit", "buy", "0.050001")), "0.05001")
  })

  it("refuse a trigger the last price has already reached, after snapping, naming it and the last price", () => {
    const r = trigger("stop-loss", "sell", "0.0599999")
    assert.isTrue(Result.isFailure(r))
    if (Result.isFailure(r)) {
      assert.strictEqual(r.failure.rule, "WouldTriggerImmediately")
      assert.strictEqual(r.failure.value, "0.06")
      assert.strictEqual(r.failure.limit, "0.06")
      assert.strictEqual(r.failure.field, "triggerPrice")
    }
    assert.strictEqual(ruleOf(trigger("take-profit", "sell", "0.059")), "WouldTriggerImmediately")
    assert.strictEqual(ruleOf(trigger("stop-loss", "buy", "0.059")), "WouldTriggerImmediately")
    assert.strictEqual(ruleOf(trigger("take-profit", "buy", "0.061")), "WouldTriggerImmediately")
    // Without a last price, only the trigger itself is checked.
    assert.strictEqual(ruleOf(trigger("stop-loss", "sell", "0.07", null)), "ok")
  })

  it("refuse a trigger that is not a positive price within the market's bounds", () => {
    assert.strictEqual(ruleOf(trigger("stop-loss", "sell", 0)), "NotPositive")
    assert.strictEqual(ruleOf(trigger("stop-loss", "sell", Number.NaN)), "NotFinite")
    assert.strictEqual(ruleOf(trigger("stop-loss", "sell", "abc")), "InvalidArgument")
    assert.strictEqual(ruleOf(trigger("stop-loss", "buy", "0.000001")), "MinPrice") // floors to 0
    const bounded = makeRules("BTC/USDT", { tickSize: "0.01", stepSize: "0.00001", maxPrice: "1000000" })
    const r = validateTrigger(bounded, { kind: "take-profit", side: "sell", triggerPrice: "2000000" }, ctx)
    assert.strictEqual(ruleOf(r), "MaxPrice")
  })
})

describe("OCO", () => {
  const p = D.unsafe
  it("keeps Binance's price order: SELL limit > last > trigger, BUY limit < last < trigger", () => {
    assert.strictEqual(ruleOf(validateOcoPrices("sell", p("0.07"), p("0.05"), { ...ctx, lastPrice: last })), "ok")
    assert.strictEqual(ruleOf(validateOcoPrices("sell", p("0.07"), p("0.06"), { ...ctx, lastPrice: last })), "OcoPriceOrder")
    assert.strictEqual(ruleOf(validateOcoPrices("sell", p("0.05"), p("0.07"), { ...ctx, lastPrice: last })), "OcoPriceOrder")
    assert.strictEqual(ruleOf(validateOcoPrices("buy", p("0.05"), p("0.07"), { ...ctx, lastPrice: last })), "ok")
    assert.strictEqual(ruleOf(validateOcoPrices("buy", p("0.06"), p("0.07"), { ...ctx, lastPrice: last })), "OcoPriceOrder")
    // Without a last price the two legs must still lie on their sides.
    assert.strictEqual(ruleOf(validateOcoPrices("sell", p("0.07"), p("0.05"), ctx)), "ok")
    assert.strictEqual(ruleOf(validateOcoPrices("sell", p("0.05"), p("0.07"), ctx)), "OcoPriceOrder")
  })

  it("is OrderTypeNotAllowed on a market without OCO", () => {
    assert.strictEqual(ruleOf(validateOcoAllowed(HBAR_USDT, ctx)), "ok")
    const none = validateOcoAllowed(makeRules("BTC/USD", { tickSize: "0.01", stepSize: "0.0001" }), ctx)
    assert.strictEqual(ruleOf(none), "OrderTypeNotAllowed")
    assert.strictEqual(Result.isFailure(none) && none.failure.value, "oco")
  })
})

describe("validateOrder on trigger and limit-maker types", () => {
  const lastCtx = { ...ctx, referencePrice: last }
  const ruleOfOrder = (request: Parameters<typeof validateOrder>[1]) => {
    const r = validateOrder(HBAR_USDT, request, lastCtx)
    return Result.isFailure(r) ? `${r.failure.rule} ${r.failure.field}` : "ok"
  }
  it("needs a trigger for stop-loss and take-profit types, and a price for the -limit ones and limit-maker", () => {
    assert.strictEqual(ruleOfOrder({ side: "sell", type: "stop-loss-limit", price: 0.049, quantity: 100 }), "InvalidArgument triggerPrice")
    assert.strictEqual(ruleOfOrder({ side: "sell", type: "stop-loss-limit", triggerPrice: 0.05, quantity: 100 }), "InvalidArgument price")
    assert.strictEqual(ruleOfOrder({ side: "sell", type: "limit-maker", quantity: 100 }), "InvalidArgument price")
    assert.strictEqual(ruleOfOrder({ side: "sell", type: "stop-loss", triggerPrice: 0.05, quantity: 100 }), "OrderTypeNotAllowed type")
  })

  it("snaps the trigger and the limit, and checks the notional at the limit (or, for a market stop, at the trigger)", () => {
    const r = Result.getOrThrow(validateOrder(HBAR_USDT, { side: "sell", type: "stop-loss-limit", triggerPrice: "0.050001", price: "0.0490001", quantity: "100.7" }, lastCtx))
    assert.deepStrictEqual([Option.map(r.triggerPrice, D.format), Option.map(r.price, D.format), D.format(r.quantity)], [Option.some("0.05001"), Option.some("0.04901"), "100"])
    const every = makeRules("HBAR/USDT", { tickSize: "0.00001", stepSize: "1", minNotional: "1", orderTypes: ["stop-loss"] })
    const small = validateOrder(every, { side: "sell", type: "stop-loss", triggerPrice: 0.05, quantity: 19 }, lastCtx)
    assert.strictEqual(Result.isFailure(small) && small.failure.rule, "MinNotional") // 19 × 0.05 < 1
    assert.isTrue(Result.isSuccess(validateOrder(every, { side: "sell", type: "stop-loss", triggerPrice: 0.05, quantity: 20 }, lastCtx)))
  })
})
