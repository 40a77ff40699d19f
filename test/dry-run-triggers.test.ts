/**
 * The dry run's trigger book and OCO pairing: triggers fire when the price crosses
 * them, oldest first, and only once; a list's legs end each other.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeOcoPairs, makeTriggerBook } from "../src/layers/dryrun/Triggers.ts"
import * as D from "../src/services/Decimal.ts"

const p = D.unsafe

describe("trigger book", () => {
  it("fires the triggers a price reaches, oldest first, each once; the others keep waiting", () => {
    const book = makeTriggerBook()
    book.add({ orderId: "sl2", symbol: "HBAR/USDT", kind: "stop-loss", side: "sell", triggerPrice: p("0.05"), seq: 2 })
    book.add({ orderId: "sl1", symbol: "HBAR/USDT", kind: "stop-loss", side: "sell", triggerPrice: p("0.055"), seq: 1 })
    book.add({ orderId: "tp", symbol: "HBAR/USDT", kind: "take-profit", side: "sell", triggerPrice: p("0.07"), seq: 3 })
    book.add({ orderId: "other", symbol: "BTC/USDT", kind: "stop-loss", side: "sell", triggerPrice: p("1"), seq: 4 })
    assert.deepStrictEqual(book.fire("HBAR/USDT", p("0.06")).map((t) => t.orderId), [])
    assert.deepStrictEqual(book.fire("HBAR/USDT", p("0.05")).map((t) => t.orderId), ["sl1", "sl2"])
    assert.deepStrictEqual(book.fire("HBAR/USDT", p("0.04")).map((t) => t.orderId), [])
    assert.isTrue(book.waiting("tp") && book.waiting("other") && !book.waiting("sl1"))
    assert.deepStrictEqual(book.fire("HBAR/USDT", p("0.07")).map((t) => t.orderId), ["tp"])
  })

  it("a removed order never fires", () => {
    const book = makeTriggerBook()
    book.add({ orderId: "sl", symbol: "HBAR/USDT", kind: "stop-loss", side: "buy", triggerPrice: p("0.07"), seq: 1 })
    assert.isTrue(book.remove("sl"))
    assert.isFalse(book.remove("sl"))
    assert.deepStrictEqual(book.fire("HBAR/USDT", p("0.08")), [])
  })
})

describe("OCO pairs", () => {
  it("ending either leg names the other and ends the list", () => {
    const pairs = makeOcoPairs()
    pairs.link({ listId: "L1", listClientOrderId: "c1", limitOrderId: "tp", stopOrderId: "sl" })
    pairs.link({ listId: "L2", listClientOrderId: "c2", limitOrderId: "tp2", stopOrderId: "sl2" })
    assert.strictEqual(pairs.listOf("sl")?.listId, "L1")
    assert.strictEqual(pairs.end("sl"), "tp")
    assert.strictEqual(pairs.end("tp"), undefined)
    assert.strictEqual(pairs.list("L1"), undefined)
    assert.strictEqual(pairs.end("tp2"), "sl2")
    assert.deepStrictEqual(pairs.lists(), [])
  })
})
