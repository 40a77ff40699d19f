/**
 * The public API driven with arbitrary inputs (issue 19, Deliver 6), as any caller
 * could pass them: well-formed and not, typed and not. Each call runs on the dry run
 * and on the live layer over the loopback server, and for every call:
 * - neither layer dies: every failure is a typed error;
 * - both give the same verdict (success, or the same error tag, with the same rule
 *   and field for a `ValidationError` and the same reason for an `ExchangeError`);
 * - a refusal at the boundary sends no request at all, and no `ValidationError`
 *   sends anything but a public price read or journals anything.
 * Seeded and bounded (`RUNS` calls), so that it runs in CI in seconds; a failure
 * prints the call and the seed.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Effect, Logger } from "effect"
import * as fc from "fast-check"
import { Exchange } from "../src/services/Exchange.ts"
import { OrderType } from "../src/services/OrderRecord.ts"
import { bothLayers, refusedAtBoundary, runOn, type Side } from "./support/both-layers.ts"

const RUNS = 400
const SEED = 19

/** Prices an order could take (resting buys at 0.08–0.09, crossing ones at 0.11–0.12) and quantities (20–100 HBAR). */
const goodPrice = fc.constantFrom<unknown>(0.09, "0.085", BigDecimal.make(9n, 2), 0.12, 0.08, "0.11", BigDecimal.make(1050n, 4))
const goodQuantity = fc.constantFrom<unknown>(100, "20", BigDecimal.make(50n, 0), "35.0", 0.5)
const badAmount = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -1, 0, "", "abc", "1e99999", "0x10", " ", null, true, 9n, [], {}, Object.create(null), "1".repeat(200)),
  fc.integer({ min: -(2 ** 45), max: 2 ** 45 }).map((scale) => BigDecimal.make(1n, scale)),
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map((value) => BigDecimal.make(value, 20)),
  fc.string({ maxLength: 12 }),
  fc.double()
)
const amountOf = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: 3, arbitrary: badAmount }, { weight: 1, arbitrary: fc.constant(undefined) })
const price = amountOf(goodPrice)
const quantity = amountOf(goodQuantity)
const side = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<unknown>("buy", "sell") },
  { weight: 2, arbitrary: fc.constantFrom<unknown>("BUY", "Buy", "SELL", "sideways", "", undefined, null, 1, {}) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }
)
const type = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<unknown>(...OrderType.literals) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>("LIMIT", "stop", "oco", undefined, null, 3) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }
)
const id = fc.oneof(
  fc.constantFrom<unknown>("", "-1", "0", "9223372036854775807", "9223372036854775808", "18446744073709551616", "x".repeat(10_000), "12 34", "1e5", "abc", undefined, null, 42, {}),
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
  fc.string({ maxLength: 24 })
)
const time = fc.oneof(
  fc.constantFrom<unknown>(undefined, 0, -1, Number.NaN, Infinity, 1.5, 8.64e15, 8.64e15 + 1, "100", null, Number.MAX_VALUE),
  fc.integer({ min: 0, max: 2 ** 45 })
)
/**
 * `fetchTrades`' well-formed bounds stay within a month of now: the live layer's trade
 * reader pages a window day by day after the last trade it finds, so a window reaching
 * years past the last trade costs one request per day (reported on issue 19; the
 * trade reader is not this suite's to change).
 */
const NOW = Date.now()
const tradeTime = fc.oneof(
  fc.constantFrom<unknown>(undefined, -1, Number.NaN, Infinity, 1.5, 8.64e15 + 1, "100", null, Number.MAX_VALUE),
  fc.integer({ min: NOW - 30 * 86_400_000, max: NOW + 86_400_000 })
)
const asset = fc.constantFrom<unknown>(undefined, "HBAR", "USDT", "BNB", "", 5, "x".repeat(100), "HB AR", null)
const request = fc.oneof(
  { weight: 6, arbitrary: fc.record({ side, type, price, triggerPrice: price, quantity }, { requiredKeys: ["side", "type", "quantity"] }) },
  { weight: 1, arbitrary: fc.record({ side, type, price, triggerPrice: price, quantity }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, {}, [], Object.create(null), "limit", 7) }
)
const ocoRequest = fc.oneof(
  { weight: 6, arbitrary: fc.record({ side, quantity, price, triggerPrice: price, stopLimitPrice: price }, { requiredKeys: ["side", "quantity", "price", "triggerPrice"] }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, {}, []) }
)

/** One public call, as a name and its arguments (what fast-check prints when a property fails). */
interface Call {
  readonly op: string
  readonly args: ReadonlyArray<unknown>
}
const call = (op: string, ...args: ReadonlyArray<fc.Arbitrary<unknown>>): fc.Arbitrary<Call> =>
  fc.tuple(...args).map((values) => ({ op, args: values }))

const calls: fc.Arbitrary<Call> = fc.oneof(
  { weight: 4, arbitrary: call("placeOrder", request) },
  call("createLimitBuy", price, quantity),
  call("createLimitSell", price, quantity),
  call("createMarketSell", quantity),
  call("createStopLoss", price, quantity, side),
  call("createStopLossLimit", price, price, quantity, side),
  call("createTakeProfit", price, quantity, side),
  call("createTakeProfitLimit", price, price, quantity, side),
  call("createOco", ocoRequest),
  call("cancelOrder", id),
  call("fetchOrder", id),
  call("cancelOco", id),
  call("fetchAllOrders", time, time),
  call("fetchTrades", tradeTime, tradeTime),
  call("getBaseAssetBalance", asset)
)

const invoke = (c: Call) =>
  Exchange.use((ex) => (ex as unknown as Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, never>>)[c.op]!(...c.args))

/** Runs `c` on both layers and checks the properties; puts both back to their start after a call that changed anything. */
const check = (sides: ReadonlyArray<Side>, c: Call) =>
  Effect.gen(function*() {
    const runs = []
    for (const side of sides) {
      const run = yield* runOn(side, invoke(c))
      assert.notMatch(run.verdict, /^defect/, `${c.op} died on the ${side.name}: ${run.verdict}`)
      if (refusedAtBoundary(run.exit)) assert.strictEqual(run.requests, 0, `${c.op} refused at the boundary sent requests on the ${side.name}`)
      if (run.verdict.startsWith("ValidationError")) {
        assert.strictEqual(run.privateRequests, 0, `${c.op} refused (${run.verdict}) sent requests on the ${side.name}`)
        assert.strictEqual(run.journaled, 0, `${c.op} refused (${run.verdict}) journaled on the ${side.name}`)
      }
      runs.push(run)
    }
    const [dry, live] = runs
    assert.strictEqual(dry!.verdict, live!.verdict, `${c.op}: the dry run and live disagree`)
    if (!dry!.verdict.startsWith("ValidationError")) yield* Effect.forEach(sides, (s) => s.reset, { discard: true })
  }).pipe(Effect.provide(Logger.layer([])))

describe("arbitrary inputs through the public API", () => {
  it.live(`${RUNS} seeded calls: typed failures, nothing sent when refused, the same verdict on the dry run and live`, () =>
    Effect.gen(function*() {
      const { sides } = yield* bothLayers
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(calls, (c) => Effect.runPromise(check(sides, c))),
          { numRuns: RUNS, seed: SEED, endOnFailure: true }
        )
      )
    }), 120_000)
})
