/**
 * Log lines built only when they are written. A line below the fiber's minimum
 * level costs one check: its message, and the annotations it carries, are never
 * made. Every operation writes lines a production bot filters out (a debug line per
 * request, an info line per create and cancel); building them anyway costs about 5%
 * of bench (a).
 */
import type { Fiber } from "effect"
import { Effect, LogLevel, References } from "effect"

/** Whether a line at `line` passes the minimum level `minimum`. */
export const passes = (minimum: LogLevel.LogLevel, line: LogLevel.LogLevel): boolean => !LogLevel.isGreaterThan(minimum, line)

/** Whether `fiber` writes debug lines. */
export const debugOn = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  passes(fiber.getRef(References.MinimumLogLevel), "Debug")

/** A line at `level` whose message (and annotations) are made only when the line is written. */
export const logLazily = (
  level: LogLevel.Severity,
  message: () => string,
  annotations?: () => Record<string, unknown>
): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    if (!passes(fiber.getRef(References.MinimumLogLevel), level)) return Effect.void
    const line = Effect.logWithLevel(level)(message())
    return annotations === undefined ? line : Effect.annotateLogs(line, annotations())
  })
