/**
 * `classify`: every ccxt error class becomes the right tagged error, the Binance
 * quirks are handled on purpose, and no secret or signature survives into an error.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ccxt from "ccxt"
import { type ClassifyInput, classify, retryAfterMs, scrub } from "../src/layers/live/classify.ts"
import { isRetryable, defaultRetryPolicy } from "../src/services/Retry.ts"

const context = { operation: "createLimitBuy", symbol: "HBAR/USDT", clientOrderId: "oo_abc" }
const input = (over: Partial<ClassifyInput> = {}): ClassifyInput => ({ ccxt, context, authenticated: false, ...over })

const tagOf = (e: ReturnType<typeof classify>) => `${e._tag}/${e.reason}`

describe("classify: ccxt error classes", () => {
  const cases: ReadonlyArray<readonly [string, new(m: string) => Error, string]> = [
    ["AuthenticationError", ccxt.AuthenticationError, "AuthenticationError/InvalidCredentials"],
    ["PermissionDenied", ccxt.PermissionDenied, "AuthenticationError/PermissionDenied"],
    ["AccountNotEnabled", ccxt.AccountNotEnabled, "AuthenticationError/PermissionDenied"],
    ["AccountSuspended", ccxt.AccountSuspended, "AuthenticationError/AccountSuspended"],
    ["InsufficientFunds", ccxt.InsufficientFunds, "ExchangeError/InsufficientFunds"],
    ["InvalidOrder", ccxt.InvalidOrder, "ExchangeError/InvalidOrder"],
    ["OrderNotFound", ccxt.OrderNotFound, "ExchangeError/OrderNotFound"],
    ["OrderImmediatelyFillable", ccxt.OrderImmediatelyFillable, "ExchangeError/WouldTriggerImmediately"],
    ["OrderNotFillable", ccxt.OrderNotFillable, "ExchangeError/InvalidOrder"],
    ["DuplicateOrderId", ccxt.DuplicateOrderId, "ExchangeError/DuplicateClientOrderId"],
    ["BadRequest", ccxt.BadRequest, "ExchangeError/BadRequest"],
    ["BadSymbol", ccxt.BadSymbol, "ExchangeError/MarketClosed"],
    ["MarketClosed", ccxt.MarketClosed, "ExchangeError/MarketClosed"],
    ["ArgumentsRequired", ccxt.ArgumentsRequired, "ExchangeError/BadRequest"],
    ["NotSupported", ccxt.NotSupported, "ExchangeError/BadRequest"],
    ["OperationRejected", ccxt.OperationRejected, "ExchangeError/Unknown"],
    ["ExchangeError", ccxt.ExchangeError, "ExchangeError/Unknown"],
    ["RateLimitExceeded", ccxt.RateLimitExceeded, "ExchangeError/RateLimited"],
    ["DDoSProtection", ccxt.DDoSProtection, "ExchangeError/RateLimited"],
    ["InvalidNonce", ccxt.InvalidNonce, "ExchangeError/InvalidNonce"],
    ["RequestTimeout", ccxt.RequestTimeout, "NetworkError/Timeout"],
    ["ExchangeNotAvailable", ccxt.ExchangeNotAvailable, "NetworkError/Unavailable"],
    ["OnMaintenance", ccxt.OnMaintenance, "NetworkError/Unavailable"],
    ["NetworkError", ccxt.NetworkError, "NetworkError/ConnectionFailed"],
    ["OperationFailed", ccxt.OperationFailed, "ExchangeError/ExchangeUnavailable"],
    ["BadResponse", ccxt.BadResponse, "ExchangeError/ExchangeUnavailable"],
    ["NullResponse", ccxt.NullResponse, "ExchangeError/ExchangeUnavailable"],
    ["BaseError", ccxt.BaseError, "ExchangeError/Unknown"]
  ]
  for (const [name, Class, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const e = classify(new Class(`binanceus ${name}`), input())
      assert.strictEqual(tagOf(e), expected)
      assert.strictEqual(e.operation, "createLimitBuy")
      assert.strictEqual(e.symbol, "HBAR/USDT")
      assert.strictEqual(e.clientOrderId, "oo_abc")
    })
  }

  it("a non-ccxt error (a bug) is Unknown and never retried", () => {
    const e = classify(new TypeError("Cannot read properties of undefined (reading 'x')"), input())
    assert.strictEqual(tagOf(e), "ExchangeError/Unknown")
    assert.isFalse(isRetryable(e, defaultRetryPolicy))
    assert.include(e.detail, "Cannot read properties")
    assert.strictEqual(tagOf(classify("a string", input())), "ExchangeError/Unknown")
    assert.strictEqual(tagOf(classify(undefined, input())), "ExchangeError/Unknown")
  })

  it("authentication and order rejections are not retryable; network failures and outages are", () => {
    const retryable = (e: Error, over: Partial<ClassifyInput> = {}) => isRetryable(classify(e, input(over)), defaultRetryPolicy)
    assert.isFalse(retryable(new ccxt.AuthenticationError("x")))
    assert.isFalse(retryable(new ccxt.InvalidOrder("x")))
    assert.isFalse(retryable(new ccxt.InsufficientFunds("x")))
    assert.isTrue(retryable(new ccxt.RequestTimeout("x")))
    assert.isTrue(retryable(new ccxt.NetworkError("x")))
    assert.isTrue(retryable(new ccxt.DDoSProtection("x"), { http: { status: 429 } }))
  })
})

describe("classify: Binance quirks", () => {
  it("-1013 Filter failure: NOTIONAL arrives as BadRequest and is InvalidOrder", () => {
    const e = classify(new ccxt.BadRequest('binanceus {"code":-1013,"msg":"Filter failure: NOTIONAL"}'), input({
      http: { status: 400, code: "-1013" }
    }))
    assert.strictEqual(tagOf(e), "ExchangeError/InvalidOrder")
  })

  it("-2010 Stop price would trigger immediately, as binanceus's own error handler throws it, is WouldTriggerImmediately", () => {
    const body = '{"code":-2010,"msg":"Stop price would trigger immediately."}'
    let thrown: unknown
    try {
      new ccxt.binanceus().handleErrors(400, "Bad Request", "https://api.binance.us/api/v3/order", "POST", {}, body, JSON.parse(body), {}, {})
    } catch (e) {
      thrown = e
    }
    const e = classify(thrown, input({ http: { status: 400, code: "-2010" } }))
    assert.strictEqual(tagOf(e), "ExchangeError/WouldTriggerImmediately")
    assert.isFalse(e.retryable)
  })

  it("-2015 before any successful private call is bad credentials", () => {
    const e = classify(new ccxt.AuthenticationError('{"code":-2015}'), input({ http: { status: 401, code: "-2015" } }))
    assert.strictEqual(tagOf(e), "AuthenticationError/InvalidCredentials")
  })

  it("-2015 after a successful private call is a temporary ban, as AuthenticationError or as ccxt's DDoSProtection", () => {
    const http = { status: 401, code: "-2015" }
    const asAuth = classify(new ccxt.AuthenticationError('{"code":-2015}'), input({ authenticated: true, http }))
    const asDdos = classify(new ccxt.DDoSProtection('binanceus {"code":-2015}'), input({ authenticated: true, http }))
    assert.strictEqual(tagOf(asAuth), "ExchangeError/TemporaryBan")
    assert.strictEqual(tagOf(asDdos), "ExchangeError/TemporaryBan")
  })

  it("429 is RateLimited and 418 TemporaryBan, both with Retry-After in milliseconds", () => {
    const limited = classify(new ccxt.DDoSProtection("binanceus 429 Too Many Requests"), input({
      http: { status: 429, headers: { "Retry-After": "3" }, code: "-1003" }
    }))
    assert.strictEqual(tagOf(limited), "ExchangeError/RateLimited")
    assert.strictEqual(limited._tag === "ExchangeError" && limited.retryAfterMs, 3000)
    const banned = classify(new ccxt.DDoSProtection("binanceus 418 I'm a teapot"), input({
      http: { status: 418, headers: { "retry-after": "120" } }
    }))
    assert.strictEqual(tagOf(banned), "ExchangeError/TemporaryBan")
    assert.strictEqual(banned._tag === "ExchangeError" && banned.retryAfterMs, 120_000)
  })

  it("a 5xx with a Binance body is ExchangeUnavailable (the outcome is unknown)", () => {
    const busy = classify(new ccxt.ExchangeError('binanceus {"code":-1008,"msg":"Server is currently overloaded"}'), input({
      http: { status: 503, code: "-1008" }
    }))
    assert.strictEqual(tagOf(busy), "ExchangeError/ExchangeUnavailable")
    const internal = classify(new ccxt.OperationFailed('binanceus {"code":-1001}'), input({ http: { status: 500, code: "-1001" } }))
    assert.strictEqual(tagOf(internal), "ExchangeError/ExchangeUnavailable")
  })
})

describe("classify: secrets", () => {
  const secret = "S3cr3tS3cr3tS3cr3tS3cr3t"
  const apiKey = "K3yK3yK3yK3yK3yK3y"
  const url = "http://127.0.0.1:4000/api/v3/order?symbol=HBARUSDT&timestamp=1700000000000&recvWindow=10000" +
    "&signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

  it("strips the signature, key-like parameters and the literal key and secret from detail, message and cause", () => {
    const raw = new ccxt.NetworkError(
      `binanceus POST ${url} fetch failed: other side closed apiKey=${apiKey} secret=${secret} also ${secret}`
    )
    const e = classify(raw, input({ secrets: [apiKey, secret] }))
    for (const text of [e.detail, e.message, String(e.cause), (e.cause as Error).stack ?? ""]) {
      assert.notInclude(text, "0f1e2d3c4b5a6978")
      assert.notInclude(text, secret)
      assert.notInclude(text, apiKey)
    }
    assert.include(e.detail, "signature=<redacted>")
    assert.include(e.detail, "symbol=HBARUSDT")
  })

  it("scrub leaves ordinary text alone", () => {
    assert.strictEqual(scrub("Filter failure: NOTIONAL"), "Filter failure: NOTIONAL")
  })
})

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates, case-insensitively", () => {
    assert.strictEqual(retryAfterMs({ "Retry-After": "2" }, 0), 2000)
    assert.strictEqual(retryAfterMs({ "RETRY-AFTER": "0.5" }, 0), 500)
    const now = Date.parse("2024-01-01T00:00:00Z")
    assert.strictEqual(retryAfterMs({ "retry-after": "Mon, 01 Jan 2024 00:00:10 GMT" }, now), 10_000)
    assert.isUndefined(retryAfterMs({}, 0))
    assert.isUndefined(retryAfterMs(undefined, 0))
  })
})
