/**
 * Graceful shutdown as a library feature. An order session remembers every order
 * placed through it and, when it ends by failure or interruption (Ctrl-C, SIGINT
 * or SIGTERM under `NodeRuntime.runMain`), cancels the ones still open, so a bot
 * that stops never leaves its orders resting on the book.
 *
 * ```ts
 * const bot = Effect.gen(function*() {
 *   yield* createLimitBuy(0.05, 100)        // placed through the session
 *   return yield* Effect.never              // Ctrl-C: the buy is cancelled, exit code 130
 * })
 * bot.pipe(withOrderSession(), Effect.provide(DryRunExchangeLayer()), NodeRuntime.runMain)
 * ```
 *
 * Gotchas:
 * - Only orders placed through the session count: the program sees a tracking
 *   `Exchange`; orders that were open before, or placed by other code, are left alone.
 * - A create inside a session is uninterruptible: an interrupt waits for the
 *   exchange's answer, so an order is never accepted behind the session's back.
 * - A cleanup failure never hides the failure that ended the program: it is
 *   logged, and attached after the original in the `Cause` as an `OrderSessionError`.
 */
import { Cause, Context, Duration, Effect, Exit, Option, Result, type Scope } from "effect"
import type { ExchangeFailure } from "../errors/index.ts"
import { OrderSessionError } from "../errors/OrderSessionError.ts"
import { dual } from "effect/Function"
import { Exchange, type ExchangeService } from "./Exchange.ts"

export interface OrderSessionOptions {
  /** Also cancel the session's open orders when the program succeeds. Default false. */
  readonly cancelOnSuccess?: boolean
  /** The longest the cleanup may take; orders still unanswered then are reported. Default 30 seconds. */
  readonly timeout?: Duration.Input
  /** How many cancels the cleanup runs at once. Default 10. */
  readonly concurrency?: number
}

/** What a cleanup did. */
export interface CleanupReport {
  readonly canceled: ReadonlyArray<string>
  readonly failed: ReadonlyArray<{ readonly orderId: string; readonly detail: string }>
  readonly timedOut: boolean
}

export interface OrderSessionService {
  /** The `Exchange` that records what it places. Inside `withOrderSession` it is the `Exchange` in context. */
  readonly exchange: ExchangeService
  /** Ids of every order placed through the session, open or not, oldest first. */
  readonly opened: Effect.Effect<ReadonlyArray<string>>
  /**
   * Cancels the session's orders that are still open. Never fails: each refusal is
   * in the report. Orders that filled or were cancelled meanwhile are skipped.
   */
  readonly cancelOpen: Effect.Effect<CleanupReport>
}

export class OrderSession extends Context.Service<OrderSession, OrderSessionService>()("orderops/OrderSession") {}

/** The failures that mean "nothing left to cancel" rather than "cleanup failed". */
const alreadyFinished = (e: ExchangeFailure): boolean =>
  e._tag === "ExchangeError" && (e.reason === "OrderNotOpen" || e.reason === "OrderNotFound")

/** Builds a session over the `Exchange` in context. Nothing is cancelled until `cancelOpen` runs. */
export const makeOrderSession = (options: OrderSessionOptions = {}): Effect.Effect<OrderSessionService, never, Exchange> =>
  Effect.gen(function*() {
    const inner = yield* Exchange
    const opened: Array<string> = []
    const record = (id: string) => {
      opened.push(id)
    }
    // A create and its record are one step: an interrupt waits for the exchange's answer.
    const placing = <A>(create: Effect.Effect<A, ExchangeFailure>, idOf: (a: A) => Option.Option<string>) =>
      Effect.uninterruptible(Effect.tap(create, (a) => Effect.sync(() => Option.map(idOf(a), record))))

    const exchange: ExchangeService = {
      ...inner,
      createLimitBuy: (price, quantity) => placing(inner.createLimitBuy(price, quantity), Option.some),
      createLimitSell: (price, quantity) => placing(inner.createLimitSell(price, quantity), Option.some),
      createMarketSell: (quantity) => placing(inner.createMarketSell(quantity), Option.some),
      placeOrder: (request) => placing(inner.placeOrder(request), (r) => Option.some(r.id)),
      sellAllAssets: () => placing(inner.sellAllAssets(), (id) => id)
    }

    const concurrency = options.concurrency ?? 10
    const timeout = Duration.fromInputUnsafe(options.timeout ?? "30 seconds")

    const cancelOpen: Effect.Effect<CleanupReport> = Effect.gen(function*() {
      const active = yield* inner.activeOrders
      const targets = opened.filter((id) => active.has(id))
      const canceled: Array<string> = []
      const failed: Array<{ orderId: string; detail: string }> = []
      const answered = new Set<string>()
      const cancelOne = (orderId: string) =>
        Effect.result(inner.cancelOrder(orderId)).pipe(
          Effect.map((r) => {
            answered.add(orderId)
            if (Result.isSuccess(r)) canceled.push(orderId)
            else if (!alreadyFinished(r.failure)) failed.push({ orderId, detail: r.failure.message })
          })
        )
      const finished = yield* Effect.forEach(targets, cancelOne, { concurrency, discard: true }).pipe(
        Effect.timeoutOption(timeout)
      )
      const timedOut = Option.isNone(finished)
      if (timedOut) {
        for (const orderId of targets) {
          if (!answered.has(orderId)) failed.push({ orderId, detail: `no answer within ${Duration.format(timeout)}` })
        }
      }
      return { canceled, failed, timedOut }
    })

    return { exchange, opened: Effect.sync(() => [...opened]), cancelOpen }
  })

const logReport = (exit: Exit.Exit<unknown, unknown>, report: CleanupReport) =>
  Effect.gen(function*() {
    const why = Exit.isSuccess(exit) ? "completed" : Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed"
    yield* Effect.log(`Order session ${why}: canceled ${report.canceled.length} open orders`)
    for (const f of report.failed) yield* Effect.logError(`Order session: order ${f.orderId} may still be open: ${f.detail}`)
  })

const toError = (report: CleanupReport): Option.Option<OrderSessionError> =>
  report.failed.length === 0
    ? Option.none()
    : Option.some(new OrderSessionError({ canceled: report.canceled, failed: report.failed, timedOut: report.timedOut }))

/**
 * A scoped session: when the enclosing scope closes with a failure or an
 * interruption (or always, with `cancelOnSuccess`), the orders placed through
 * `session.exchange` that are still open are cancelled. Cleanup failures are
 * logged and never fail the finalizer. Prefer `withOrderSession` unless you manage
 * scopes yourself; it also reports cleanup failures in the `Cause`.
 */
export const scopedOrderSession = (
  options: OrderSessionOptions = {}
): Effect.Effect<OrderSessionService, never, Exchange | Scope.Scope> =>
  Effect.tap(makeOrderSession(options), (session) =>
    Effect.addFinalizer((exit) =>
      Exit.isSuccess(exit) && options.cancelOnSuccess !== true
        ? Effect.void
        : Effect.flatMap(session.cancelOpen, (report) => logReport(exit, report))
    ))

/**
 * Runs `program` in an order session: inside it, `Exchange` records every order
 * placed, and `OrderSession` is available. When the program fails or is
 * interrupted (or always, with `cancelOnSuccess`), the session's open orders are
 * cancelled before the result is passed on. If some cancel fails, the program's
 * own failure stays first in the `Cause` and an `OrderSessionError` is appended;
 * a program that succeeded then fails with that `OrderSessionError`.
 */
export const withOrderSession: {
  (options?: OrderSessionOptions): <A, E, R>(
    program: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | OrderSessionError, Exclude<R, OrderSession> | Exchange>
  <A, E, R>(
    program: Effect.Effect<A, E, R>,
    options?: OrderSessionOptions
  ): Effect.Effect<A, E | OrderSessionError, Exclude<R, OrderSession> | Exchange>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(
    program: Effect.Effect<A, E, R>,
    options: OrderSessionOptions = {}
  ): Effect.Effect<A, E | OrderSessionError, Exclude<R, OrderSession> | Exchange> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const session = yield* makeOrderSession(options)
        const exit = yield* Effect.exit(
          restore(program).pipe(
            Effect.provideService(Exchange, session.exchange),
            Effect.provideService(OrderSession, session)
          ) as Effect.Effect<A, E, never>
        )
        if (Exit.isSuccess(exit) && options.cancelOnSuccess !== true) return yield* exit
        const report = yield* session.cancelOpen
        yield* logReport(exit, report)
        const cleanupError = toError(report)
        if (Option.isNone(cleanupError)) return yield* exit
        // The program's own failure stays first; the cleanup's is appended, never substituted.
        return yield* Exit.isSuccess(exit)
          ? Effect.fail(cleanupError.value)
          : Effect.failCause(Cause.combine(exit.cause, Cause.fail(cleanupError.value)))
      })
    )
)
