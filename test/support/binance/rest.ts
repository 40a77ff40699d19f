/**
 * Plain-fetch calls to the Binance test server for the user-stream tests: a
 * signed request (HMAC-SHA256 of the query, as Binance wants it) and the
 * USER_STREAM listenKey endpoints (API key header only). No ccxt: these tests
 * drive the server the way any Binance client would.
 */
import { createHmac } from "node:crypto"

export interface RestTarget {
  readonly url: string
  readonly apiKey: string
}

export interface RestAnswer {
  readonly status: number
  readonly body: unknown
}

const answer = async (response: Response): Promise<RestAnswer> => ({ status: response.status, body: await response.json() })

/** A SIGNED request with `params` in the query string; `timestamp` is added. */
export const signed = async (
  target: RestTarget,
  secret: string,
  method: string,
  path: string,
  params: Readonly<Record<string, string>>
): Promise<RestAnswer> => {
  const query = new URLSearchParams({ ...params, timestamp: String(Date.now()) }).toString()
  const signature = createHmac("sha256", secret).update(query).digest("hex")
  const response = await fetch(`${target.url}${path}?${query}&signature=${signature}`, {
    method,
    headers: { "X-MBX-APIKEY": target.apiKey }
  })
  return answer(response)
}

/** `POST|PUT|DELETE /api/v3/userDataStream`, with the API key header (or `apiKey` instead). */
export const userDataStream = async (
  target: RestTarget,
  method: "POST" | "PUT" | "DELETE",
  listenKey?: string,
  apiKey: string = target.apiKey
): Promise<RestAnswer> => {
  const query = listenKey === undefined ? "" : `?listenKey=${encodeURIComponent(listenKey)}`
  return answer(await fetch(`${target.url}/api/v3/userDataStream${query}`, { method, headers: { "X-MBX-APIKEY": apiKey } }))
}
