/**
 * The test server's user data stream, driven by a plain `ws` client and fetch:
 * listenKey endpoints, the events Binance.US documents for every order change,
 * and the fault controls (drop, withhold then deliver or lose, expire, age limit).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { WebSocket } from "ws"
import { type BinanceServer, startBinanceServer } from "./support/BinanceServer.ts"
import { signed, userDataStream } from "./support/binance/rest.ts"

const SECRET = "user-stream-secret"
let server: BinanceServer
const clients: Array<WebSocket> = []

type Event = Record<string, unknown>

/** A connected client on `/ws/<key>` that keeps every event and can wait for more. */
const connect = async (key: string, target: BinanceServer = server) => {
  const ws = new WebSocket(`${target.url.replace("http", "ws")}/ws/${key}`)
  clients.push(ws)
  const events: Array<Event> = []
  const waiters: Array<() => void> = []
  ws.on("message", (data) => {
    events.push(JSON.parse(String(data)) as Event)
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve())
    ws.once("error", reject)
  })
  /** Resolves once `n` events arrived in total. */
  const received = async (n: number): Promise<ReadonlyArray<Event>> => {
    while (events.length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    return events
  }
  return { ws, events, received, closed }
}

const listenKey = async (): Promise<string> => {
  const { status, body } = await userDataStream(server, "POST")
  expect(status).toBe(200)
  return (body as { listenKey: string }).listenKey
}

const order = (params: Record<string, string>) =>
  signed(server, SECRET, "POST", "/api/v3/order", { symbol: "HBARUSDT", newOrderRespType: "RESULT", ...params })

const limitBuy = (price: string, quantity: string, clientId: string) =>
  order({ side: "BUY", type: "LIMIT", timeInForce: "GTC", price, quantity, newClientOrderId: clientId })

/** Events other than account positions. */
const executions = (events: ReadonlyArray<Event>) => events.filter((e) => e["e"] === "executionReport")

beforeAll(async () => {
  server = await startBinanceServer({ secret: SECRET, balances: { USDT: "100" }, prices: { HBARUSDT: "0.06" }, feeRate: "0.001" })
})
afterAll(async () => {
  for (const c of clients) c.terminate()
  await server.close()
})
beforeEach(() => server.reset())

describe("listenKey endpoints", () => {
  it("POST returns the account's active key again while it is valid; PUT extends it; DELETE ends it", async () => {
    const key = await listenKey()
    expect(key).toMatch(/^[0-9a-f]{60}$/)
    expect(await listenKey()).toBe(key)
    expect(await userDataStream(server, "PUT", key)).toEqual({ status: 200, body: {} })
    expect(await userDataStream(server, "DELETE", key)).toEqual({ status: 200, body: {} })
    expect(server.userStream.activeListenKey()).toBeUndefined()
    expect(await userDataStream(server, "PUT", key)).toEqual({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } })
    expect(await listenKey()).not.toBe(key)
  })

  it("DELETE closes the key's connections", async () => {
    const key = await listenKey()
    const client = await connect(key)
    await userDataStream(server, "DELETE", key)
    expect(await client.closed).toBe(1000)
    expect(server.userStream.connections()).toBe(0)
  })

  it("needs the API key header but no signature", async () => {
    expect((await userDataStream(server, "POST", undefined, "wrong-key")).body).toMatchObject({ code: -2015 })
    expect((await userDataStream(server, "POST", undefined, "")).body).toMatchObject({ code: -2014 })
    expect((await userDataStream(server, "PUT")).body).toMatchObject({ code: -1102 })
  })

  it("a key not kept alive for 60 minutes of server time is gone, and POST gives a new one", async () => {
    const key = await listenKey()
    server.setClockSkew(60 * 60_000 + 1)
    expect((await userDataStream(server, "PUT", key)).body).toMatchObject({ code: -1125 })
    expect(await listenKey()).not.toBe(key)
  })

  it("an unknown key cannot connect", async () => {
    await expect(connect("not-a-key")).rejects.toThrow(/400/)
  })
})

describe("events on /ws/<listenKey>", () => {
  it("a limit buy: executionReport NEW, then the account position of the locked quote", async () => {
    const client = await connect(await listenKey())
    await limitBuy("0.05", "100", "buy-1")
    const [report, position] = await client.received(2)
    expect(report).toMatchObject({
      e: "executionReport", s: "HBARUSDT", c: "buy-1", S: "BUY", o: "LIMIT", f: "GTC", q: "100.00000000", p: "0.05000000",
      g: -1, C: "", x: "NEW", X: "NEW", r: "NONE", l: "0.00000000", z: "0.00000000", L: "0.00000000", n: "0", N: null,
      t: -1, w: true, m: false, Z: "0.00000000", Y: "0.00000000", V: "NONE"
    })
    expect(report?.["i"]).toBe(server.orders()[0]?.orderId)
    expect(position).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "USDT", f: "95.00000000", l: "5.00000000" }] })
  })

  it("partial fills: one TRADE each, with its own trade id, price, quantity, commission and maker flag", async () => {
    const client = await connect(await listenKey())
    await limitBuy("0.05", "100", "buy-2")
    server.fillOrder("HBARUSDT", { clientOrderId: "buy-2" }, "40")
    server.fillOrder("HBARUSDT", { clientOrderId: "buy-2" })
    const events = await client.received(6)
    const trades = executions(events).filter((e) => e["x"] === "TRADE")
    expect(trades.map((t) => [t["X"], t["l"], t["z"], t["L"], t["n"], t["N"], t["m"], t["Y"], t["Z"], t["w"]])).toEqual([
      ["PARTIALLY_FILLED", "40.00000000", "40.00000000", "0.05000000", "0.04000000", "HBAR", true, "2.00000000", "2.00000000", true],
      ["FILLED", "60.00000000", "100.00000000", "0.05000000", "0.06000000", "HBAR", true, "3.00000000", "5.00000000", false]
    ])
    const myTrades = (await signed(server, SECRET, "GET", "/api/v3/myTrades", { symbol: "HBARUSDT" })).body as Array<{ id: number }>
    expect(trades.map((t) => t["t"])).toEqual(myTrades.map((t) => t.id))
    expect(new Set(trades.map((t) => t["I"])).size).toBe(2)
    expect(events.at(-1)).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "HBAR", f: "99.90000000", l: "0.00000000" }, { a: "USDT" }] })
  })

  it("a buy that crosses on placement fills as taker: NEW, TRADE, then one account position", async () => {
    const client = await connect(await listenKey())
    await limitBuy("0.07", "100", "taker-1")
    const events = await client.received(3)
    expect(events.map((e) => [e["e"], e["x"], e["m"]])).toEqual([
      ["executionReport", "NEW", false],
      ["executionReport", "TRADE", false],
      ["outboundAccountPosition", undefined, undefined]
    ])
    expect(events[1]).toMatchObject({ L: "0.06000000", X: "FILLED" })
  })

  it("a cancel: x CANCELED, c is the cancel request's id and C the order's", async () => {
    const client = await connect(await listenKey())
    await limitBuy("0.05", "100", "buy-3")
    await signed(server, SECRET, "DELETE", "/api/v3/order", { symbol: "HBARUSDT", origClientOrderId: "buy-3", newClientOrderId: "cancel-3" })
    const events = await client.received(4)
    expect(events[2]).toMatchObject({ x: "CANCELED", X: "CANCELED", c: "cancel-3", C: "buy-3", w: false })
    expect(events[3]).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "USDT", f: "100.00000000", l: "0.00000000" }] })
  })

  it("an IOC order that cannot fill: NEW, then EXPIRED", async () => {
    const client = await connect(await listenKey())
    await order({ side: "BUY", type: "LIMIT", timeInForce: "IOC", price: "0.05", quantity: "100", newClientOrderId: "ioc-1" })
    const events = await client.received(3)
    expect(executions(events).map((e) => [e["x"], e["X"]])).toEqual([["NEW", "NEW"], ["EXPIRED", "EXPIRED"]])
  })

  it("a deposit: balanceUpdate with the delta, then the account position", async () => {
    const client = await connect(await listenKey())
    server.deposit("HBAR", "250.5")
    const [update, position] = await client.received(2)
    expect(update).toMatchObject({ e: "balanceUpdate", a: "HBAR", d: "250.50000000" })
    expect(position).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "HBAR", f: "250.50000000", l: "0.00000000" }] })
  })
})

describe("fault controls", () => {
  it("dropConnections ends the socket without a close frame; events meanwhile are lost", async () => {
    const key = await listenKey()
    const client = await connect(key)
    server.userStream.dropConnections()
    expect(await client.closed).toBe(1006)
    await limitBuy("0.05", "100", "lost-1")
    const again = await connect(key)
    server.deposit("USDT", "1")
    const [first] = await again.received(1)
    expect(first).toMatchObject({ e: "balanceUpdate" })
    expect(client.events).toEqual([])
  })

  it("withheld events are delivered in order on release, or lost", async () => {
    const client = await connect(await listenKey())
    server.userStream.withholdEvents()
    await limitBuy("0.05", "100", "held-1")
    server.userStream.releaseEvents("deliver")
    expect((await client.received(2)).map((e) => e["e"])).toEqual(["executionReport", "outboundAccountPosition"])

    server.userStream.withholdEvents()
    await limitBuy("0.04", "100", "held-2")
    server.userStream.releaseEvents("lose")
    server.deposit("USDT", "1")
    const events = await client.received(4)
    expect(events.slice(2).map((e) => e["e"])).toEqual(["balanceUpdate", "outboundAccountPosition"])
    expect(executions(events).map((e) => e["c"])).toEqual(["held-1"])
  })

  it("expireListenKey sends listenKeyExpired once, then nothing on that key", async () => {
    const key = await listenKey()
    const client = await connect(key)
    server.userStream.expireListenKey()
    const [expired] = await client.received(1)
    expect(expired).toMatchObject({ e: "listenKeyExpired", listenKey: key })
    await limitBuy("0.05", "100", "after-expiry")
    const fresh = await listenKey()
    expect(fresh).not.toBe(key)
    const next = await connect(fresh)
    server.deposit("USDT", "1")
    await next.received(2)
    expect(client.events).toHaveLength(1)
  })

  it("sendRaw writes any frame to the connections on the active key", async () => {
    const client = await connect(await listenKey())
    server.userStream.sendRaw(JSON.stringify({ e: "somethingNew", E: 1 }))
    expect(await client.received(1)).toEqual([{ e: "somethingNew", E: 1 }])
    expect(server.userStream.sentEvents()).toEqual([{ listenKey: server.userStream.activeListenKey(), event: { e: "somethingNew", E: 1 } }])
  })

  it("a connection is closed at the age limit", async () => {
    const short = await startBinanceServer({ secret: SECRET, userStreamMaxConnectionMs: 50 })
    try {
      const { body } = await userDataStream(short, "POST")
      const client = await connect((body as { listenKey: string }).listenKey, short)
      expect(await client.closed).toBe(1000)
    } finally {
      await short.close()
    }
  })
})
