/**
 * The balance book kept from the user stream (StreamBalances.ts): what it knows
 * around a connection's seed, when the REST read and the stream's events cross.
 */
import { assert, describe, it } from "@effect/vitest"
import { BigDecimal, Option } from "effect"
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
