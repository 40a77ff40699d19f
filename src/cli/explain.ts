/**
 * What the command line says when the market's rules refuse an order: what was
 * typed, what snapping made of it, and the bound it broke, in the market's terms
 * (`quantity 0.5 rounds to 0 at step 1 (minimum 1)`). The library's
 * `ValidationError` names the rule and the snapped value; the CLI alone knows
 * the text the person typed, so the sentence is built here.
 */
import { Option } from "effect"
import type { ValidationError } from "../errors/ValidationError.ts"
import * as D from "../services/Decimal.ts"
import type { MarketRules } from "../services/MarketRules.ts"
import type { OrderSide } from "../services/OrderRecord.ts"

/** The amounts of an order as typed on the command line. */
export interface TypedOrder {
  readonly side: OrderSide
  readonly price?: string | undefined
  readonly quantity: string
  /**
   * The flag that was left out and would have made a trigger order a `-limit` one
   * (`--price` for `stop-loss`, `--stop-limit` for an OCO's stop leg): a market
   * that takes no market stops is then refused with that flag named.
   */
  readonly limitFlag?: string | undefined
}

/**
 * `typed`, and what it became on the grid when that differs, as a sentence
 * (`0.5 rounds to 0 at step 1`) or, inside a longer one, in brackets (`0.5 (0 at step 1)`).
 */
const became = (typed: string, snapped: D.Decimal | undefined, grid: string, size: D.Decimal, bracketed = false): string => {
  const read = D.fromAmount(typed)
  if (snapped === undefined || (Option.isSome(read) && D.eq(read.value, snapped))) return typed
  const at = `${D.format(snapped)} at ${grid} ${D.format(size)}`
  return bracketed ? `${typed} (${at})` : `${typed} rounds to ${at}`
}

const snapQuantity = (rules: MarketRules, typed: string): D.Decimal | undefined => {
  const read = D.fromAmount(typed)
  return Option.isSome(read) ? D.floorTo(read.value, rules.stepSize) : undefined
}

const snapPrice = (rules: MarketRules, side: OrderSide, typed: string | undefined): D.Decimal | undefined => {
  const read = typed === undefined ? undefined : D.fromAmount(typed)
  if (read === undefined || Option.isNone(read)) return undefined
  return side === "buy" ? D.floorTo(read.value, rules.tickSize) : D.ceilTo(read.value, rules.tickSize)
}

/** One line saying why `order` was refused; falls back to the error's own message for rules without amounts. */
export const explainRefusal = (error: ValidationError, order: TypedOrder, rules: MarketRules): string => {
  const quantity = (bracketed = false) => became(order.quantity, snapQuantity(rules, order.quantity), "step", rules.stepSize, bracketed)
  const price = (bracketed = false) => became(order.price ?? "", snapPrice(rules, order.side, order.price), "tick", rules.tickSize, bracketed)
  const typedValue = error.field === "price" ? order.price : error.field === "quantity" ? order.quantity : undefined
  switch (error.rule) {
    case "MinQuantity":
      return `quantity ${quantity()} (minimum ${error.limit})`
    case "MaxQuantity":
      return `quantity ${quantity()} (maximum ${error.limit})`
    case "MinPrice":
      return `price ${price()} (minimum ${error.limit})`
    case "MaxPrice":
      return `price ${price()} (maximum ${error.limit})`
    case "MinNotional":
      return order.price === undefined
        ? `quantity ${quantity(true)} is worth ${error.value} ${rules.quote} at the market price (minimum ${error.limit} ${rules.quote})`
        : `price ${price(true)} × quantity ${quantity(true)} = ${error.value} ${rules.quote} (minimum ${error.limit} ${rules.quote})`
    case "NotPositive":
      return `${error.field} ${typedValue ?? error.value} must be above 0`
    case "NotFinite":
    case "InvalidArgument":
      return typedValue === undefined ? error.message : `${error.field} ${JSON.stringify(typedValue)} is not a decimal number`
    case "MaxOpenOrders":
      return `${error.value} orders are open on ${error.symbol} already (maximum ${error.limit})`
    case "WouldTriggerImmediately":
      return `trigger ${error.value} would fire at once: the last price ${error.limit} has already reached it`
    case "OcoPriceOrder":
      return `the OCO's prices are out of order (${error.value}): a ${order.side} needs ${error.limit}`
    case "OrderTypeNotAllowed": {
      if (error.value === "oco") return `${error.symbol} takes no OCO lists here`
      const allowed = (error.limit ?? "").split(",")
      const refused = `${error.symbol} takes no ${error.value} orders here (it takes ${allowed.join(", ")})`
      return order.limitFlag !== undefined && allowed.includes(`${error.value}-limit`)
        ? `${refused}: add ${order.limitFlag} with the limit price once triggered, for a ${error.value}-limit`
        : refused
    }
    default:
      return error.message
  }
}
