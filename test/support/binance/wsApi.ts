/**
 * The test server's Binance WebSocket API (`/ws-api/v3`), as far as the user data
 * stream goes: binance.com retired its spot listenKey endpoints (2026-02-20), and a
 * client now subscribes on a WebSocket-API connection instead, which is what ccxt's
 * `binance.watchOrders` does (pro/binance.js `ensureUserDataStreamWsSubscribeSignature`).
 *
 * - Requests are JSON `{ id, method, params }`; answers `{ id, status, result }` or
 *   `{ id, status, error: { code, msg } }`, as binance-spot-api-docs `web-socket-api`
 *   describes them.
 * - `userDataStream.subscribe.signature`: `params` holds `apiKey`, `timestamp`,
 *   optionally `recvWindow`, and `signature`, the HMAC-SHA256 of the other
 *   parameters sorted by name as `key=value&...`. The key must be the server's
 *   (-2015), the signature and timestamp are checked as the REST side checks them
 *   (./auth.ts). The answer is `{ subscriptionId }`, numbered per connection from 0.
 * - `userDataStream.unsubscribe` (all, or `params.subscriptionId`) and `ping`.
 * - From then on, every change the engine makes is pushed as the listenKey stream
 *   pushes it (the same `executionReport` and `listStatus` builders,
 *   ./userStream.ts), wrapped: `{ subscriptionId, event }`.
 * - Faults: drop every connection (no close frame, as a network drop).
 *
 * Not modelled: the other WebSocket-API methods (orders, account), session logon,
 * rate limits on the connection, server pings.
 */
import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"
import * as D from "./decimal.ts"
import type { EngineEvent } from "./engine.ts"
import { BinanceError } from "./errors.ts"
import type { Params } from "./orders.ts"
import { userEventOf } from "./userStream.ts"

export const WS_API_PATH = "/ws-api/v3"

/** Inspection and fault controls of the WebSocket API. */
export interface WsApiControls {
  /** Open `/ws-api/v3` connections. */
  connections(): number
  /** User data stream subscriptions on open connections. */
  subscriptions(): number
  /** Every request received, oldest first: its method and the status it was answered with. */
  requests(): ReadonlyArray<{ readonly method: string; readonly status: number }>
  /** Every event frame pushed, oldest first, as sent (`{ subscriptionId, event }`). */
  sentEvents(): ReadonlyArray<{ readonly subscriptionId: number; readonly event: Record<string, unknown> }>
  /** Destroys every connection without a close frame, as a network drop does. */
  dropConnections(): void
}

export interface WsApiOptions {
  readonly apiKey: string
  readonly now: () => number
  /** The REST side's signature and timestamp check (./auth.ts): throws a `BinanceError`. */
  readonly checkSignature: (payload: string, signature: string | undefined, params: Params) => void
  readonly balances: () => ReadonlyMap<string, { readonly free: D.Dec; readonly locked: D.Dec }>
}

interface Connection {
  readonly socket: WebSocket
  readonly subscriptions: Set<number>
  nextSubscriptionId: number
}

interface Request {
  readonly id: unknown
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A request's parameters as the strings they are signed as. */
const stringParams = (params: Readonly<Record<string, unknown>>): Record<string, string> =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)]))

export class WsApi {
  private readonly open = new Set<Connection>()
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly received: Array<{ readonly method: string; readonly status: number }> = []
  private readonly sent: Array<{ readonly subscriptionId: number; readonly event: Record<string, unknown> }> = []
  private executionId = 1
  private readonly options: WsApiOptions

  constructor(options: WsApiOptions) {
    this.options = options
  }

  /** Whether an HTTP upgrade is for this endpoint. */
  handles(req: IncomingMessage): boolean {
    return new URL(req.url ?? "/", "http://127.0.0.1").pathname === WS_API_PATH
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { socket: ws, subscriptions: new Set(), nextSubscriptionId: 0 }
      this.open.add(connection)
      ws.on("message", (data) => this.onRequest(connection, String(data)))
      ws.on("close", () => this.open.delete(connection))
    })
  }

  // ---- requests ---------------------------------------------------------------------------

  private onRequest(c: Connection, text: string): void {
    let request: Request
    try {
      const raw: unknown = JSON.parse(text)
      if (!isRecord(raw) || typeof raw["method"] !== "string") throw new Error("no method")
      request = { id: raw["id"] ?? null, method: raw["method"], params: isRecord(raw["params"]) ? raw["params"] : {} }
    } catch {
      return this.answer(c, null, "", 400, { error: { code: -1102, msg: "Malformed request." } })
    }
    try {
      const result = this.handle(c, request)
      this.answer(c, request.id, request.method, 200, { result })
    } catch (e) {
      if (!(e instanceof BinanceError)) throw e
      this.answer(c, request.id, request.method, e.status, { error: { code: e.code, msg: e.message } })
    }
  }

  private handle(c: Connection, { method, params }: Request): unknown {
    switch (method) {
      case "ping":
        return {}
      case "userDataStream.subscribe.signature": {
        this.authenticate(params)
        const subscriptionId = c.nextSubscriptionId++
        c.subscriptions.add(subscriptionId)
        return { subscriptionId }
      }
      case "userDataStream.unsubscribe": {
        const id = params["subscriptionId"]
        if (id === undefined) c.subscriptions.clear()
        else if (!c.subscriptions.delete(Number(id))) throw new BinanceError(400, -1102, "Unknown subscriptionId.")
        return {}
      }
      default:
        throw new BinanceError(400, -1020, "This operation is not supported.")
    }
  }

  /** The key, then the signature of the other parameters sorted by name, then the timestamp. */
  private authenticate(params: Readonly<Record<string, unknown>>): void {
    const p = stringParams(params)
    if (p["apiKey"] !== this.options.apiKey) throw new BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
    const { signature, ...signed } = p
    const payload = Object.keys(signed).sort().map((k) => `${k}=${signed[k]}`).join("&")
    this.options.checkSignature(payload, signature, p)
  }

  private answer(c: Connection, id: unknown, method: string, status: number, body: Record<string, unknown>): void {
    this.received.push({ method, status })
    if (c.socket.readyState === WebSocket.OPEN) c.socket.send(JSON.stringify({ id, status, ...body }))
  }

  // ---- events -----------------------------------------------------------------------------

  /** The engine's listener: each change becomes the listenKey stream's event, pushed to every subscription. */
  readonly onEngineEvent = (event: EngineEvent): void =>
    this.push(userEventOf(event, this.options.now(), () => this.executionId++, this.options.balances))

  private push(event: Record<string, unknown>): void {
    for (const c of this.open) {
      if (c.socket.readyState !== WebSocket.OPEN) continue
      for (const subscriptionId of c.subscriptions) {
        c.socket.send(JSON.stringify({ subscriptionId, event }))
        this.sent.push({ subscriptionId, event })
      }
    }
  }

  readonly controls: WsApiControls = {
    connections: () => [...this.open].filter((c) => c.socket.readyState === WebSocket.OPEN).length,
    subscriptions: () => [...this.open].reduce((n, c) => n + (c.socket.readyState === WebSocket.OPEN ? c.subscriptions.size : 0), 0),
    requests: () => [...this.received],
    sentEvents: () => [...this.sent],
    dropConnections: () => {
      for (const c of this.open) c.socket.terminate()
    }
  }

  /** No connections, an empty log. */
  reset(): void {
    this.controls.dropConnections()
    this.received.length = 0
    this.sent.length = 0
  }

  shutdown(): void {
    for (const c of this.open) c.socket.terminate()
    this.wss.close()
  }
}
