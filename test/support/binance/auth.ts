/**
 * Binance's request security for the test server (rest-api.md "SIGNED (TRADE
 * and USER_DATA) Endpoint security"): the API key header (-2014/-2015, HTTP 401),
 * the HMAC-SHA256 signature of query string plus body (-1022), and timestamp
 * against recvWindow on the server clock (-1021).
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { fail } from "./errors.ts"
import type { Params } from "./orders.ts"

const INVALID_KEY = "Invalid API-key, IP, or permissions for action."

/** The checks of one server, in Binance's order: key, signature, timestamp/recvWindow. */
export const signedChecks = (apiKey: string, secret: string, clock: () => number) => {
  const checkApiKey = (req: IncomingMessage): void => {
    const key = req.headers["x-mbx-apikey"]
    if (typeof key !== "string" || key === "") fail(-2014, "API-key format invalid.", 401)
    if (key !== apiKey) fail(-2015, INVALID_KEY, 401)
  }
  const authenticate = (req: IncomingMessage, p: Params, rawQuery: string, rawBody: string): void => {
    checkApiKey(req)
    const parts = [rawQuery, rawBody].map((raw) => raw.split("&").filter((part) => part !== ""))
    const signature = parts.flat().find((part) => part.startsWith("signature="))?.slice("signature=".length)
    // totalParams: the query string concatenated with the body, each without its signature
    const totalParams = parts.map((list) => list.filter((part) => !part.startsWith("signature=")).join("&")).join("")
    checkSignature(totalParams, signature === undefined ? undefined : decodeURIComponent(signature), p)
  }
  /**
   * The signature of `payload` (HMAC-SHA256, hex) and the timestamp in `p` against
   * recvWindow. The REST endpoints sign query string plus body; the WebSocket API
   * signs its request's parameters sorted by name as `key=value&...`.
   */
  const checkSignature = (payload: string, signature: string | undefined, p: Params): void => {
    if (signature === undefined || signature === "") fail(-1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    const timestamp = Number(p["timestamp"] ?? fail(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."))
    const recvWindow = Number(p["recvWindow"] ?? 5000)
    if (!(recvWindow > 0 && recvWindow <= 60_000)) fail(-1131, "recvWindow must be less than 60000")
    const expected = Buffer.from(createHmac("sha256", secret).update(payload).digest("hex"))
    const given = Buffer.from((signature ?? "").toLowerCase())
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) fail(-1022, "Signature for this request is not valid.")
    const serverTime = clock()
    if (!Number.isFinite(timestamp)) fail(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    if (timestamp >= serverTime + 1000) fail(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if (serverTime - timestamp > recvWindow) fail(-1021, "Timestamp for this request is outside of the recvWindow.")
  }
  return { checkApiKey, authenticate, checkSignature }
}
