/**
 * The balance book kept from the user stream (StreamBalances.ts): what it knows
 * around a connection's seed, when the REST read and the stream's events cross;
 * and whether it has caught up with the bot's own orders (OwnChanges.ts), whichever
 * of the request's answer and the stream's events comes first.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Option } from "effect"
import { makeOwnChanges, SETTLE_MS } from "../src/layers/live/exchanges/binance/OwnChanges.ts"
import { type BalanceChange, makeBalanceBook } from "../src/layers/live/exchanges/binance/StreamBalances.ts"
import type { Balance } from "../src/services/Venue.ts"

const dec = BigDecimal.fromStringUnsafe
const balances = (entries: Record<string, [string, string]>): ReadonlyMap<string, Balance> =>
  new Map(Object.entries(entries).map(([a, [free, used]]) => [a, { free: dec(free), used: dec(used) }]))
const position = (asset: string, free: string, locked: string): BalanceChange => ({
  _tag: "AccountPosition", balances: [{ asset, free: dec(free), locked: dec(locked) }]
})
const deposit = (asset: string, delta: string): BalanceChange => ({ _tag: "BalanceUpdate", asset, delta: dec(delta) })
const text = (known: Option.Option<ReadonlyMap<string, Balance>>) =>
  Option.map(known, (m) => Object.fromEntries([...m].map(([a, b]) => [a, `${BigDecimal.format(b.free)}/${BigDecimal.format(b.used)}`])))

describe("stream balances", () => {
  it("nothing is known before the seed; after it, positions set an asset and deposits move its free amount", () => {
    const book = makeBalanceBook()
    const ticket = book.restart(1)
    assert.isTrue(Option.isNone(book.known(1)))
    book.seed(balances({ USDT: ["100", "0"], HBAR: ["5", "0"] }), ticket)
    book.apply(position("USDT", "95", "5"))
    book.apply(deposit("HBAR", "2.5"))
    assert.deepStrictEqual(text(book.known(1)), Option.some({ USDT: "95/5", HBAR: "7.5/0" }))
  })

  it("positions that arrive before the seed are replayed on it, in order; deposits before it are not (the seed may count them)", () => {
    const book = makeBalanceBook()
    const ticket = book.restart(1)
    book.apply(position("USDT", "95", "5"))
    book.apply(deposit("USDT", "10"))
    book.apply(position("USDT", "105", "5")) // Binance's position after the deposit
    book.apply(position("USDT", "105", "0"))
    book.seed(balances({ USDT: ["100", "5"], HBAR: ["1", "0"] }), ticket) // read somewhere in between
    assert.deepStrictEqual(text(book.known(1)), Option.some({ USDT: "105/0", HBAR: "1/0" }))
  })

  it("a new connection forgets the last one's balances, and a seed for an earlier restart is ignored", () => {
    const book = makeBalanceBook()
    const first = book.restart(1)
    book.seed(balances({ USDT: ["100", "0"] }), first)
    const second = book.restart(2)
    assert.isTrue(Option.isNone(book.known(1)) && Option.isNone(book.known(2)))
    book.seed(balances({ USDT: ["1", "0"] }), first)
    assert.isTrue(Option.isNone(book.known(2)), "a late seed of the first connection")
    book.seed(balances({ USDT: ["90", "0"] }), second)
    assert.deepStrictEqual(text(book.known(2)), Option.some({ USDT: "90/0" }))
    assert.isTrue(Option.isNone(book.known(1)))
  })
})

describe("own changes: the book covers the bot's own create or cancel once the stream reported it", () => {
  const open = (id: string, filled = "0") => ({ id, filled: dec(filled), final: false })
  const canceled = (id: string, filled = "0") => ({ id, filled: dec(filled), final: true })

  it("answer first: not covered until the order's report and a position after it", () => {
    const own = makeOwnChanges()
    own.sent()
    assert.isFalse(own.covered(0), "in flight")
    own.answered([open("1")], 10)
    assert.isFalse(own.covered(10))
    assert.isTrue(own.awaitingStream())
    own.report("1", 9, dec("0"), false)
    assert.isFalse(own.covered(11), "reported, but the balances it moved not yet")
    own.position(9)
    assert.isTrue(own.covered(11))
  })

  it("stream first: the report and its position before the answer cover it at once", () => {
    const own = makeOwnChanges()
    own.sent()
    own.report("1", 9, dec("0"), false)
    own.position(9)
    own.answered([open("1")], 10)
    assert.isTrue(own.covered(10))
  })

  it("a position before the report, or stamped before its transaction, does not cover it", () => {
    const own = makeOwnChanges()
    own.sent()
    own.position(9)
    own.report("1", 9, dec("0"), false)
    own.answered([open("1")], 10)
    assert.isFalse(own.covered(10), "the position came before the report")
    own.position(8)
    assert.isFalse(own.covered(10), "the position is older than the report's transaction")
    own.position(9)
    assert.isTrue(own.covered(10))
  })

  it("a cancel waits for the final report, a fill for the report that reached the answer's filled quantity", () => {
    const own = makeOwnChanges()
    own.report("1", 5, dec("0"), false)
    own.position(5)
    own.sent()
    own.answered([canceled("1")], 10)
    assert.isFalse(own.covered(10), "only the NEW report so far")
    own.report("1", 9, dec("0"), true)
    own.position(9)
    assert.isTrue(own.covered(10))
    own.sent()
    own.answered([open("2", "40")], 20)
    own.report("2", 19, dec("0"), false)
    own.position(19)
    assert.isFalse(own.covered(20), "the answer says 40 filled; the report says none")
    own.report("2", 19, dec("40"), false)
    own.position(19)
    assert.isTrue(own.covered(20))
  })

  it("a failed request is covered by the next position; anything the stream never reports stops counting after SETTLE_MS", () => {
    const own = makeOwnChanges()
    own.sent()
    own.answered(undefined, 10)
    assert.isFalse(own.covered(10))
    own.position(11)
    assert.isTrue(own.covered(11))
    own.sent()
    own.answered([open("3")], 20)
    assert.isFalse(own.covered(20 + SETTLE_MS - 1))
    assert.isTrue(own.covered(20 + SETTLE_MS))
  })

  it("a reconnection's seed covers every change reported before it", () => {
    const own = makeOwnChanges()
    own.sent()
    own.report("1", 9, dec("0"), false)
    own.restart()
    own.answered([open("1")], 10)
    assert.isTrue(own.covered(10))
  })
})
