/**
 * Decoding of single user-stream frames: the payloads Binance.US documents
 * (user-data-stream.md), the WebSocket API's wrapped form, and the frames the
 * stream must skip rather than fail on; and that each frame's quick check accepts
 * exactly what its schema accepts.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Option, Result, Schema } from "effect"
import { decodeFrame, WIRE_STRUCTS } from "../src/layers/live/exchanges/binance/UserStreamEvents.ts"

const DOC_EXECUTION_REPORT = {
  e: "executionReport", E: 1499405658658, s: "ETHBTC", c: "mUvoqJxFIILMdfAW5iGSOW", S: "BUY", o: "LIMIT", f: "GTC",
  q: "1.00000000", p: "0.10264410", P: "0.00000000", F: "0.00000000", g: -1, C: "", x: "NEW", X: "NEW", r: "NONE",
  i: 4293153, l: "0.00000000", z: "0.00000000", L: "0.00000000", n: "0", N: null, T: 1499405658657, t: -1, I: 8641984,
  w: true, m: false, M: false, O: 1499405658657, Z: "0.00000000", Y: "0.00000000", Q: "0.00000000", W: 1499405658657, V: "NONE"
}

describe("decodeFrame", () => {
  it("reads the documented executionReport exactly, in orderops' words", () => {
    const frame = decodeFrame(JSON.stringify(DOC_EXECUTION_REPORT))
    assert.strictEqual(frame._tag, "Event")
    if (frame._tag !== "Event" || frame.event._tag !== "ExecutionReport") return assert.fail("not an execution report")
    const r = frame.event
    assert.deepStrictEqual([r.orderId, r.side, r.type, r.execution, r.status], ["4293153", "buy", "limit", "NEW", "NEW"])
    assert.strictEqual(BigDecimal.format(Option.getOrThrow(r.price)), "0.1026441")
    assert.isTrue(Option.isNone(r.stopPrice) && Option.isNone(r.orderListId) && Option.isNone(r.trade))
  })

  it("a TRADE carries its fill; a market order has no price", () => {
    const trade = {
      ...DOC_EXECUTION_REPORT, o: "MARKET", p: "0.00000000", x: "TRADE", X: "FILLED", l: "1.00000000", z: "1.00000000",
      L: "0.10264410", n: "0.00100000", N: "ETH", t: 77, m: false, Y: "0.10264410", Z: "0.10264410"
    }
    const frame = decodeFrame(JSON.stringify(trade))
    if (frame._tag !== "Event" || frame.event._tag !== "ExecutionReport") return assert.fail("not an execution report")
    assert.isTrue(Option.isNone(frame.event.price))
    const fill = Option.getOrThrow(frame.event.trade)
    assert.deepStrictEqual([fill.id, BigDecimal.format(fill.fee), Option.getOrNull(fill.feeAsset), fill.maker], ["77", "0.001", "ETH", false])
  })

  it("reads listStatus, and the WebSocket API's { subscriptionId, event } wrapping", () => {
    const listStatus = {
      e: "listStatus", E: 1564035303637, s: "ETHBTC", g: 2, c: "OCO", l: "EXEC_STARTED", L: "EXECUTING", r: "NONE",
      C: "F4QN4G8DlFATFlIUQ0cjdD", T: 1564035303625,
      O: [{ s: "ETHBTC", i: 17, c: "AJYsMjErWJesZvqlJCTUgL" }, { s: "ETHBTC", i: 18, c: "bfYPSQdLoqAJeNrOr9adzq" }]
    }
    const frame = decodeFrame(JSON.stringify({ subscriptionId: 0, event: listStatus }))
    if (frame._tag !== "Event" || frame.event._tag !== "ListStatus") return assert.fail("not a list status")
    assert.deepStrictEqual(frame.event.orders.map((o) => o.orderId), ["17", "18"])
    assert.strictEqual(frame.event.orderListId, "2")
  })

  it("a withdrawal's negative delta stays exact", () => {
    const frame = decodeFrame(JSON.stringify({ e: "balanceUpdate", E: 1, a: "BTC", d: "-0.30000001", T: 1 }))
    if (frame._tag !== "Event" || frame.event._tag !== "BalanceUpdate") return assert.fail("not a balance update")
    assert.strictEqual(BigDecimal.format(frame.event.delta), "-0.30000001")
  })

  it("skips what it cannot read instead of throwing", () => {
    assert.deepStrictEqual(decodeFrame(JSON.stringify({ e: "listenKeyExpired", E: 1, listenKey: "k" })), { _tag: "ListenKeyExpired" })
    assert.deepStrictEqual(decodeFrame(JSON.stringify({ e: "constructor", E: 1 })), { _tag: "Unknown", eventType: "constructor" })
    assert.strictEqual(decodeFrame("[1,2]")._tag, "Malformed")
    assert.deepStrictEqual(decodeFrame("{"), { _tag: "Malformed", eventType: "", message: "not JSON" })
    const float = decodeFrame(JSON.stringify({ ...DOC_EXECUTION_REPORT, q: 1 }))
    assert.deepStrictEqual([float._tag, float._tag === "Malformed" && float.eventType], ["Malformed", "executionReport"])
    const exponent = decodeFrame(JSON.stringify({ e: "balanceUpdate", E: 1, a: "BTC", d: "1e-7", T: 1 }))
    assert.strictEqual(exponent._tag, "Malformed")
  })
})

describe("the quick checks and the schemas agree", () => {
  const DOC_FRAMES = {
    executionReport: DOC_EXECUTION_REPORT,
    outboundAccountPosition: { e: "outboundAccountPosition", E: 1564034571105, u: 1564034571073, B: [{ a: "ETH", f: "10000.000000", l: "0.000000" }] },
    balanceUpdate: { e: "balanceUpdate", E: 1573200697110, a: "BTC", d: "100.00000000", T: 1573200697068 },
    listStatus: {
      e: "listStatus", E: 1564035303637, s: "ETHBTC", g: 2, c: "OCO", l: "EXEC_STARTED", L: "EXECUTING", r: "NONE",
      C: "F4QN4G8DlFATFlIUQ0cjdD", T: 1564035303625, O: [{ s: "ETHBTC", i: 17, c: "AJYsMjErWJesZvqlJCTUgL" }]
    }
  } as const
  /** Values a field may wrongly carry: other types, non-integers, unsafe integers, decimals Binance never prints. */
  const WRONG: ReadonlyArray<unknown> = [
    undefined, null, true, 0, -1, 1.5, 2 ** 60, NaN, "", "x", "1e5", "1.", ".5", "+1", "0x10", " 1", "1 ", "-0.5", "BUY",
    "NEW", "LIMIT", [], {}, [{ a: "X", f: "1", l: "0" }], [{ s: "A", i: 1, c: "b" }]
  ]

  for (const [eventType, frame] of Object.entries(DOC_FRAMES)) {
    it(`${eventType}: every field set to each wrong value or left out, the quick check and the schema say the same`, () => {
      const struct = WIRE_STRUCTS[eventType as keyof typeof WIRE_STRUCTS] as {
        readonly schema: Schema.Codec<unknown>
        readonly check: (u: unknown) => boolean
      }
      const bySchema = Schema.decodeUnknownResult(struct.schema)
      const agree = (value: unknown, what: string) =>
        assert.strictEqual(struct.check(value), Result.isSuccess(bySchema(value)), `${eventType} ${what}`)
      agree(frame, "as documented")
      assert.isTrue(struct.check(frame))
      for (const key of Object.keys(frame)) {
        const { [key]: _, ...without } = frame as Record<string, unknown>
        agree(without, `without ${key}`)
        for (const wrong of WRONG) agree({ ...frame, [key]: wrong }, `${key}: ${JSON.stringify(wrong)}`)
      }
    })
  }

  it("amounts are read exactly, as BigDecimal reads their text", () => {
    for (const text of ["0", "0.00000000", "100", "100.00000000", "0.10264410", "-2.50000000", "123456789012345678.12345678", "999999999999999.9"]) {
      const frame = decodeFrame(JSON.stringify({ e: "balanceUpdate", E: 1, a: "BTC", d: text, T: 1 }))
      if (frame._tag !== "Event" || frame.event._tag !== "BalanceUpdate") return assert.fail(`not read: ${text}`)
      assert.isTrue(BigDecimal.equals(frame.event.delta, BigDecimal.fromStringUnsafe(text)), text)
      assert.strictEqual(BigDecimal.format(frame.event.delta), BigDecimal.format(BigDecimal.normalize(BigDecimal.fromStringUnsafe(text))), text)
    }
  })
})
