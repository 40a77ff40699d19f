/**
 * Fault injection for the Binance test server: a FIFO list of faults, each
 * applying to the next `times` requests that match its method, path prefix and
 * optional predicate.
 */

/** What a fault predicate sees of a request (parameters without `signature`). */
export interface RequestInfo {
  readonly method: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
}

export interface FaultMatch {
  /** HTTP method, e.g. "POST"; any when omitted. */
  readonly method?: string
  /**
   * A path or a path prefix by whole segments: "/api/v3/order" matches it and
   * "/api/v3/order/test" or "/api/v3/order/oco", not "/api/v3/orderList"; any when omitted.
   */
  readonly path?: string
  /** How many matching requests the fault applies to; 1 by default. */
  readonly times?: number
  readonly when?: (request: RequestInfo) => boolean
}

export type Fault =
  /** Destroy the socket without processing the request. */
  | { readonly kind: "drop" }
  /** Process the request (e.g. create the order), then destroy the socket instead of answering. */
  | { readonly kind: "processThenDrop" }
  /** Never answer; the socket stays open until the server closes. */
  | { readonly kind: "hang"; readonly afterProcessing: boolean }
  /** Process at once, answer `ms` later. */
  | { readonly kind: "delay"; readonly ms: number }
  /** Answer with a 5xx; `body` is Binance's JSON error or a plain text page. */
  | {
    readonly kind: "status"
    readonly status: number
    readonly body: { readonly code: number; readonly msg: string } | string
    readonly afterProcessing: boolean
  }
  /** Answer with any Binance error without processing. */
  | { readonly kind: "binanceError"; readonly status: number; readonly code: number; readonly msg: string }
  /** Answer 429 or 418 with a `Retry-After` header, without processing, `delayMs` after the request arrived. */
  | { readonly kind: "rateLimit"; readonly status: 429 | 418; readonly retryAfterSeconds: number; readonly delayMs: number }

const underPath = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`)

interface Armed {
  readonly fault: Fault
  readonly match: FaultMatch
  remaining: number
}

export class Faults {
  private armed: Array<Armed> = []

  add(fault: Fault, match: FaultMatch = {}): void {
    this.armed.push({ fault, match, remaining: match.times ?? 1 })
  }

  /** The first armed fault matching the request, consumed once. */
  take(request: RequestInfo): Fault | undefined {
    const hit = this.armed.find(
      (a) =>
        (a.match.method === undefined || a.match.method.toUpperCase() === request.method) &&
        (a.match.path === undefined || underPath(request.path, a.match.path)) &&
        (a.match.when === undefined || a.match.when(request))
    )
    if (hit === undefined) return undefined
    hit.remaining -= 1
    if (hit.remaining <= 0) this.armed = this.armed.filter((a) => a !== hit)
    return hit.fault
  }

  pending(): number {
    return this.armed.reduce((n, a) => n + a.remaining, 0)
  }

  clear(): void {
    this.armed = []
  }
}
