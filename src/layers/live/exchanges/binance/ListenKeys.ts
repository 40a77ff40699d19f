/**
 * The user data stream's listenKey endpoints (`POST/PUT /api/v3/userDataStream`)
 * as the `ListenKeys` port of `UserStream.ts`, called as
 * ccxt's implicit methods through the venue's one ccxt bridge (`ccxt/Client.ts`): the
 * request budget, the debug request line and the error classification apply as to
 * any request. ccxt sends them with the API key header and no signature, the key in
 * the form body.
 *
 * `DELETE` is never sent: the key is the account's one, shared by every layer and
 * process trading on it, and deleting it would cut their streams (UserStream.ts).
 *
 * The listenKey is a bearer credential for the account's stream: no request line
 * names it, and the failures this port gives go to `UserStream`, which scrubs every
 * key it was given from what it logs.
 */
import { Effect, Result } from "effect"
import type { VenueError } from "../../../../errors/index.ts"
import type { CcxtClientService, Request } from "../../Client.ts"
import type { CcxtExchange } from "../../instance.ts"
import { decodeContext, failure } from "../../RawOrder.ts"
import type { ListenKeys } from "./UserStream.ts"

type Params = Readonly<Record<string, string>>

/** The implicit methods ccxt generates for the endpoint on `binance` and `binanceus`. */
interface UserDataStreamRest {
  publicPostUserDataStream(params: Params): Promise<unknown>
  publicPutUserDataStream(params: Params): Promise<unknown>
}

const rest = (exchange: CcxtExchange) => exchange as unknown as UserDataStreamRest

/** Whether `exchange` has the listenKey methods orderops calls. */
export const hasListenKeyEndpoints = (exchange: CcxtExchange): boolean => {
  const methods = exchange as unknown as Record<string, unknown>
  return ["publicPostUserDataStream", "publicPutUserDataStream"].every(
    (name) => typeof methods[name] === "function"
  )
}

const OPERATION = "userStream"

const request = (describe: string): Request => ({ operation: OPERATION, symbol: "", kind: "listenKey", describe: () => describe })

/** `{ listenKey }`, the key a non-empty string; the failure never repeats the answer (it may hold a key). */
const readListenKey = (exchange: string) => (raw: unknown) => {
  const key = typeof raw === "object" && raw !== null ? (raw as { readonly listenKey?: unknown }).listenKey : undefined
  return typeof key === "string" && key !== ""
    ? Result.succeed(key)
    : Result.fail(failure(decodeContext(exchange, OPERATION, ""), "listenKey answer", "no listenKey in it"))
}

/** The port over `client`; its requests go to whatever host the instance points at (`baseUrl`). */
export const makeListenKeys = (client: CcxtClientService): ListenKeys<VenueError> => ({
  create: client.use(
    request("POST userDataStream (a listenKey for the user data stream)"),
    (ex) => rest(ex).publicPostUserDataStream({}),
    readListenKey(client.id)
  ),
  keepAlive: (listenKey) =>
    Effect.asVoid(client.use(request("PUT userDataStream (keep the listenKey alive)"), (ex) => rest(ex).publicPutUserDataStream({ listenKey })))
})
