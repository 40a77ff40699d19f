/**
 * The protective-order commands: `stop-loss`, `take-profit` and `oco`. Like every
 * order command they run on the dry run unless `--live`, and a refusal by the
 * market's rules says what was typed and why (`explain.ts`).
 */
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import type { ValidationError } from "../errors/ValidationError.ts"
import { explainRefusal } from "./explain.ts"
import { CliInputError, ordersTable, printJson, recordJson } from "./output.ts"
import { place, printRecord, where, withExchange } from "./shared.ts"

const trigger = Flag.String("trigger").pipe(
  Flag.withDescription("Trigger price: the order works once the last price reaches it; snapped to the tick")
)
const quantity = Flag.String("quantity").pipe(Flag.withDescription("Quantity of the base asset; rounded down to the lot step"))
const side = Flag.Literals("side", ["buy", "sell"]).pipe(Flag.withDescription("Side of the order"), Flag.withDefault("sell"))
const limitPrice = Flag.String("price").pipe(
  Flag.withDescription(
    "Limit price once triggered (a -limit order); without it a market order once triggered, where the market takes one " +
      "(Binance.US HBAR/USDT does not: give --price)"
  ),
  Flag.optional
)

/** `stop-loss` or `take-profit`: a trigger order, with a limit price when `--price` is given. */
const triggerOrder = (kind: "stop-loss" | "take-profit") =>
  Command.make(kind, { trigger, quantity, side, price: limitPrice }, ({ price, quantity, side, trigger }) =>
    withExchange((shared, exchange) => {
      const limit = Option.getOrUndefined(price)
      const type = limit === undefined ? kind : (`${kind}-limit` as const)
      return Effect.flatMap(
        place(exchange, { side, type, quantity, price: limit, triggerPrice: trigger }, {
          side,
          quantity,
          price: limit,
          limitFlag: limit === undefined ? "--price" : undefined
        }),
        (record) => printRecord(shared, exchange, "Placed", record)
      )
    })).pipe(
      Command.withDescription(
        kind === "stop-loss"
          ? "Place a stop-loss: sells (or buys) once the price falls (rises) to the trigger"
          : "Place a take-profit: sells (or buys) once the price rises (falls) to the trigger"
      ),
      Command.withExamples([{
        command: `orderops ${kind} --trigger ${kind === "stop-loss" ? "0.05 --price 0.0495" : "0.07 --price 0.07"} --quantity 100`,
        description: `sell 100 HBAR at a limit once the price ${kind === "stop-loss" ? "falls to 0.05" : "rises to 0.07"}`
      }])
    )

const oco = Command.make(
  "oco",
  {
    side,
    quantity,
    price: Flag.String("price").pipe(Flag.withDescription("The limit (take-profit) leg's price")),
    trigger: Flag.String("trigger").pipe(Flag.withDescription("The stop leg's trigger price")),
    stopLimit: Flag.String("stop-limit").pipe(
      Flag.withDescription(
        "The stop leg's limit price once triggered (default: a market stop, where the market takes one; Binance.US HBAR/USDT does not: give --stop-limit)"
      ),
      Flag.optional
    )
  },
  ({ price, quantity, side, stopLimit, trigger }) =>
    withExchange((shared, exchange) =>
      exchange.createOco({ side, quantity, price, triggerPrice: trigger, stopLimitPrice: Option.getOrUndefined(stopLimit) }).pipe(
        Effect.catchTag("ValidationError", (e: ValidationError) =>
          Effect.flatMap(exchange.marketRules, (rules) =>
            Effect.fail(
              new CliInputError({
                detail: explainRefusal(e, { side, quantity, price, limitFlag: Option.isNone(stopLimit) ? "--stop-limit" : undefined }, rules)
              })
            ))),
        Effect.flatMap((placed) =>
          shared.json
            ? printJson({ listId: placed.listId, limit: recordJson(placed.limit), stop: recordJson(placed.stop) })
            : Console.log(`Placed OCO ${placed.listId} on ${where(shared, exchange)}\n${ordersTable([placed.limit, placed.stop])}`)
        )
      )
    )
).pipe(
  Command.withDescription("Place an OCO: a limit (take-profit) leg and a stop leg; when one fills or triggers the other expires"),
  Command.withExamples([{
    command: "orderops oco --side sell --quantity 100 --price 0.07 --trigger 0.05 --stop-limit 0.0495",
    description: "sell 100 HBAR at 0.07, or at 0.0495 or better once the price falls to 0.05"
  }])
)

export const protectiveCommands = [triggerOrder("stop-loss"), triggerOrder("take-profit"), oco] as const
