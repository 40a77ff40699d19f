/**
 * Points every REST URL of a ccxt exchange at another origin, keeping each URL's
 * path: `https://api.binance.us/api/v3` becomes `http://127.0.0.1:PORT/api/v3`,
 * `https://api.binance.us/sapi/v1` becomes `http://127.0.0.1:PORT/sapi/v1`, and
 * so on for every key of `exchange.urls.api` (public, private, v1, sapi, fapi...).
 */
export const pointCcxtAt = (exchange: { readonly urls: { api: unknown } }, baseUrl: string): void => {
  const origin = baseUrl.replace(/\/+$/, "")
  const repoint = (value: unknown): unknown => {
    if (typeof value === "string") {
      if (!/^https?:\/\//.test(value)) return value
      const url = new URL(value)
      return origin + url.pathname.replace(/\/+$/, "") + url.search
    }
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, repoint(v)]))
    }
    return value
  }
  exchange.urls.api = repoint(exchange.urls.api)
}
