/**
 * The Binance.US user data stream of the test server, as binance-us-api-docs
 * `user-data-stream.md` documents it:
 *
 * - listenKeys: `POST /api/v3/userDataStream` returns the account's active key
 *   (extending it by 60 minutes) or a new one; `PUT` extends it; `DELETE` ends it
 *   and closes its connections; an unknown or expired key is -1125. Validity is
 *   read from the server clock, so `setClockSkew` past 60 minutes expires a key.
 * - `/ws/<listenKey>`: a WebSocket that receives `executionReport` for every order
 *   change the engine makes (NEW, TRADE, CANCELED, EXPIRED, and NEW again when a
 *   stop triggers; a cancel's `c` is the cancel request's id and `C` the order's;
 *   `P` the stop price, `g` the OCO's id), `listStatus` when an OCO starts or ends
 *   (after its legs' reports), `outboundAccountPosition` after the
 *   balances moved (once per engine operation, with the assets it moved) and
 *   `balanceUpdate` for a deposit. A key that expires gets one `listenKeyExpired`,
 *   then nothing more. Binance does not say how it answers an unknown key at
 *   connect; here the upgrade is refused with HTTP 400.
 * - Faults: drop every connection (no close frame), withhold events and later
 *   deliver or lose them (Binance never replays: only REST recovers a lost event),
 *   expire the key, send any raw frame, and a connection age limit (24 h by default).
 *
 * Not modelled: the combined `/stream?streams=` form, server pings.
 */
import type { IncomingMessage } from "node:http"
import { randomBytes } from "node:crypto"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import * as D from "./decimal.ts"
import type { EngineEvent } from "./engine.ts"
import { fail } from "./errors.ts"
import type { OrderList } from "./lists.ts"
import { type Fill, isMarketLike, isWorking, type Order } from "./orders.ts"

/** Fault controls and inspection of the user data stream. */
export interface UserStreamControls {
  /** The account's valid listenKey, if any. */
  activeListenKey(): string | undefined
  /** Open `/ws/<listenKey>` connections, whatever their key. */
  connections(): number
  /** Every frame written to a connection, oldest first, parsed, with the key of its connection. */
  sentEvents(): ReadonlyArray<{ readonly listenKey: string; readonly event: Record<string, unknown> }>
  /** Destroys every connection without a close frame, as a network drop does. */
  dropConnections(): void
  /** From now on, events for open (and new) connections are held back until `releaseEvents`. */
  withholdEvents(): void
  /** Ends withholding: "deliver" sends the held events in order; "lose" discards them. */
  releaseEvents(outcome: "deliver" | "lose"): void
  /** Expires the active listenKey now: its connections get `listenKeyExpired` and nothing after. */
  expireListenKey(): void
  /** Sends a raw text frame to every connection on the active key (unknown or malformed events). */
  sendRaw(frame: string): void
}

interface Connection {
  readonly socket: WebSocket
  readonly listenKey: string
  /** Frames held back while withholding. */
  held: Array<string>
  expiredNotified: boolean
}

const VALIDITY_MS = 60 * 60_000
const ZERO_STR = "0.00000000"
const UNKNOWN_KEY = "This listenKey does not exist."

/** A frame as `sentEvents` shows it: the JSON object, or `{ raw }` for a frame that is not one. */
const parsed = (frame: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(frame)
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : { raw: frame }
  } catch {
    return { raw: frame }
  }
}

/** A 60-character key like Binance's. */
const newListenKey = (): string => randomBytes(30).toString("hex").slice(0, 60)

/** Binance's `executionReport` for one engine change (decimals as Binance prints them). */
export const executionReport = (
  order: Order,
  execution: EngineEvent & { readonly kind: "execution" },
  eventTime: number,
  executionId: number
): Record<string, unknown> => {
  const fill: Fill | undefined = execution.fill
  const canceled = execution.execution === "CANCELED"
  // an untriggered stop is not on the book yet; a market-like order never is
  const onBook = isWorking(order) && !isMarketLike(order.type) && (order.status === "NEW" || order.status === "PARTIALLY_FILLED")
  return {
    e: "executionReport",
    E: eventTime,
    s: order.rules.symbol,
    c: canceled ? order.cancelClientOrderId : order.clientOrderId,
    S: order.side,
    o: order.type,
    f: order.timeInForce,
    q: D.fmt(order.origQty),
    p: D.fmt(order.price),
    P: D.fmt(order.stopPrice),
    F: ZERO_STR,
    g: order.orderListId,
    C: canceled ? order.clientOrderId : "",
    x: execution.execution,
    X: order.status,
    r: "NONE",
    i: order.orderId,
    l: fill === undefined ? ZERO_STR : D.fmt(fill.qty),
    z: D.fmt(order.executedQty),
    L: fill === undefined ? ZERO_STR : D.fmt(fill.price),
    n: fill === undefined ? "0" : D.fmt(fill.commission),
    N: fill === undefined ? null : fill.commissionAsset,
    T: fill === undefined ? order.updateTime : fill.time,
    t: fill === undefined ? -1 : fill.tradeId,
    I: executionId,
    w: onBook,
    m: fill?.isMaker ?? false,
    M: false,
    O: order.time,
    Z: D.fmt(order.cummulativeQuoteQty),
    Y: fill === undefined ? ZERO_STR : D.fmt(D.mul(fill.price, fill.qty)),
    Q: D.fmt(order.origQuoteOrderQty),
    ...(isWorking(order) && !isMarketLike(order.type) ? { W: order.workingTime } : {}),
    V: "NONE"
  }
}

/** Binance's `listStatus` for an OCO that started (EXEC_STARTED) or ended (ALL_DONE). */
export const listStatus = (list: OrderList, eventTime: number): Record<string, unknown> => ({
  e: "listStatus",
  E: eventTime,
  s: list.rules.symbol,
  g: list.orderListId,
  c: "OCO",
  l: list.listStatusType,
  L: list.listOrderStatus,
  r: "NONE",
  C: list.listClientOrderId,
  T: list.transactionTime,
  O: list.legs.map((o) => ({ s: o.rules.symbol, i: o.orderId, c: o.clientOrderId }))
})

export interface UserStreamOptions {
  readonly now: () => number
  readonly balances: () => ReadonlyMap<string, { readonly free: D.Dec; readonly locked: D.Dec }>
  /** A connection is closed (code 1000) after this long; Binance: 24 hours. */
  readonly maxConnectionMs: number
}

/**
 * The user data stream's event (Binance's JSON) for one change of the engine:
 * `executionReport`, `listStatus`, `balanceUpdate`, or `outboundAccountPosition` with
 * the moved assets' balances. `nextExecutionId` numbers the execution reports. Shared
 * by the listenKey stream and the WebSocket API's subscription (./wsApi.ts).
 */
export const userEventOf = (
  event: EngineEvent,
  now: number,
  nextExecutionId: () => number,
  balances: () => ReadonlyMap<string, { readonly free: D.Dec; readonly locked: D.Dec }>
): Record<string, unknown> => {
  switch (event.kind) {
    case "execution":
      return executionReport(event.order, event, now, nextExecutionId())
    case "list":
      return listStatus(event.list, now)
    case "deposit":
      return { e: "balanceUpdate", E: now, a: event.asset, d: D.fmt(event.delta), T: event.time }
    case "balances": {
      const held = balances()
      const B = event.assets.map((a) => ({ a, f: D.fmt(held.get(a)?.free ?? D.ZERO), l: D.fmt(held.get(a)?.locked ?? D.ZERO) }))
      return { e: "outboundAccountPosition", E: now, u: now, B }
    }
  }
}

export class UserStream {
  private active: { key: string; expiresAt: number } | undefined
  private readonly open = new Set<Connection>()
  private readonly sent: Array<{ readonly listenKey: string; readonly event: Record<string, unknown> }> = []
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly timers = new Set<NodeJS.Timeout>()
  private withholding = false
  private executionId = 1
  private readonly options: UserStreamOptions

  constructor(options: UserStreamOptions) {
    this.options = options
  }

  // ---- listenKey endpoints ---------------------------------------------------------------

  private validKey(): string | undefined {
    if (this.active === undefined) return undefined
    if (this.options.now() >= this.active.expiresAt) {
      this.expire()
      return undefined
    }
    return this.active.key
  }

  /** POST /api/v3/userDataStream */
  create(): { readonly listenKey: string } {
    const key = this.validKey() ?? newListenKey()
    this.active = { key, expiresAt: this.options.now() + VALIDITY_MS }
    return { listenKey: key }
  }

  private checked(params: Readonly<Record<string, string>>): string {
    const key = params["listenKey"]
    if (key === undefined || key === "") return fail(-1102, "Mandatory parameter 'listenKey' was not sent, was empty/null, or malformed.")
    return key === this.validKey() ? key : fail(-1125, UNKNOWN_KEY)
  }

  /** PUT /api/v3/userDataStream */
  keepAlive(params: Readonly<Record<string, string>>): Record<string, never> {
    const key = this.checked(params)
    this.active = { key, expiresAt: this.options.now() + VALIDITY_MS }
    return {}
  }

  /** DELETE /api/v3/userDataStream: the key ends and its connections close. */
  close(params: Readonly<Record<string, string>>): Record<string, never> {
    const key = this.checked(params)
    this.active = undefined
    for (const c of this.open) if (c.listenKey === key) c.socket.close(1000, "listenKey closed")
    return {}
  }

  // ---- WebSocket endpoint ----------------------------------------------------------------

  /** Handles an HTTP upgrade: `/ws/<valid listenKey>` connects, anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const match = /^\/ws\/([^/?]+)$/.exec(new URL(req.url ?? "/", "http://127.0.0.1").pathname)
    const key = match?.[1]
    if (key === undefined || key !== this.validKey()) {
      const body = JSON.stringify({ code: -1125, msg: UNKNOWN_KEY })
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { socket: ws, listenKey: key, held: [], expiredNotified: false }
      this.open.add(connection)
      const timer = setTimeout(() => ws.close(1000, "24 hour connection limit"), this.options.maxConnectionMs)
      timer.unref()
      this.timers.add(timer)
      ws.on("close", () => {
        this.open.delete(connection)
        clearTimeout(timer)
        this.timers.delete(timer)
      })
    })
  }

  // ---- events ----------------------------------------------------------------------------

  /** The engine's listener: each change becomes one event, sent at once. */
  readonly onEngineEvent = (event: EngineEvent): void =>
    this.broadcast(userEventOf(event, this.options.now(), () => this.executionId++, this.options.balances))

  /** Sends to every connection on the valid key (none after it expired), or holds back. */
  private broadcast(event: Record<string, unknown>): void {
    const key = this.validKey()
    if (key === undefined) return
    const frame = JSON.stringify(event)
    for (const c of this.open) if (c.listenKey === key) this.write(c, frame)
  }

  private write(c: Connection, frame: string): void {
    if (this.withholding) {
      c.held.push(frame)
      return
    }
    if (c.socket.readyState !== WebSocket.OPEN) return
    c.socket.send(frame)
    this.sent.push({ listenKey: c.listenKey, event: parsed(frame) })
  }

  /** The key stops: its connections get one `listenKeyExpired` (never withheld) and stay open, silent. */
  private expire(): void {
    const key = this.active?.key
    this.active = undefined
    if (key === undefined) return
    const frame = JSON.stringify({ e: "listenKeyExpired", E: this.options.now(), listenKey: key })
    for (const c of this.open) {
      if (c.listenKey !== key || c.expiredNotified) continue
      c.expiredNotified = true
      c.held = []
      if (c.socket.readyState === WebSocket.OPEN) {
        c.socket.send(frame)
        this.sent.push({ listenKey: key, event: parsed(frame) })
      }
    }
  }

  readonly controls: UserStreamControls = {
    activeListenKey: () => this.validKey(),
    connections: () => [...this.open].filter((c) => c.socket.readyState === WebSocket.OPEN).length,
    sentEvents: () => [...this.sent],
    dropConnections: () => {
      for (const c of this.open) c.socket.terminate()
    },
    withholdEvents: () => {
      this.withholding = true
    },
    releaseEvents: (outcome) => {
      this.withholding = false
      for (const c of this.open) {
        const held = c.held
        c.held = []
        if (outcome === "deliver") for (const frame of held) this.write(c, frame)
      }
    },
    expireListenKey: () => this.expire(),
    sendRaw: (frame) => {
      const key = this.validKey()
      for (const c of this.open) if (c.listenKey === key) this.write(c, frame)
    }
  }

  /** Back to no key, no faults, an empty log; open connections are dropped. */
  reset(): void {
    this.controls.dropConnections()
    this.active = undefined
    this.withholding = false
    this.sent.length = 0
  }

  shutdown(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const c of this.open) c.socket.terminate()
    this.wss.close()
  }
}
