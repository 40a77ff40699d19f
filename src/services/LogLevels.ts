/**
 * Log-level checks for hot paths: a line below the fiber's minimum level is never
 * built, and the check costs no Effect step where the fiber is at hand.
 */
import type { Fiber } from "effect"
import { LogLevel, References } from "effect"

/** Whether a line at `line` passes the minimum level `minimum`. */
export const passes = (minimum: LogLevel.LogLevel, line: LogLevel.LogLevel): boolean => !LogLevel.isGreaterThan(minimum, line)

/** Whether `fiber` writes debug lines. */
export const debugOn = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  passes(fiber.getRef(References.MinimumLogLevel), "Debug")
