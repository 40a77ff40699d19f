/**
 * Exact amounts in tests: an amount as its decimal text (`"0.09"`, `"100"`), an
 * absent one as null, so assertions compare digits, never floats.
 */
import { BigDecimal, Option } from "effect"
import * as D from "../../src/services/Decimal.ts"
import { acceptedOrder, type OrderRecord } from "../../src/services/OrderRecord.ts"

/** `a`'s plain decimal text; null for `None`. */
export const text = (a: D.Decimal | Option.Option<D.Decimal>): string | null =>
  BigDecimal.isBigDecimal(a) ? D.format(a) : Option.match(a, { onNone: () => null, onSome: D.format })

/** Fees by asset as decimal text. */
export const feesText = (fees: Readonly<Record<string, D.Decimal>>): Record<string, string> =>
  Object.fromEntries(Object.entries(fees).map(([asset, fee]) => [asset, D.format(fee)]))

/** An order record with every amount as text, for deep comparisons (a `BigDecimal` caches its normal form inside). */
export const recordText = (o: OrderRecord) => ({
  ...o,
  price: text(o.price),
  triggerPrice: text(o.triggerPrice),
  quantity: text(o.quantity),
  filled: text(o.filled),
  cost: text(o.cost),
  averagePrice: text(o.averagePrice),
  fees: feesText(o.fees),
  listId: Option.getOrNull(o.listId)
})

/** A limit buy's record with amounts given as text; `over` replaces any field. */
export const limitRecord = (
  fields: { readonly id: string; readonly clientOrderId: string; readonly symbol: string; readonly price: string; readonly quantity: string },
  over: Partial<OrderRecord> = {}
): OrderRecord => ({
  ...acceptedOrder({
    ...fields,
    side: "buy",
    type: "limit",
    price: Option.some(D.unsafe(fields.price)),
    quantity: D.unsafe(fields.quantity),
    timestamp: 1
  }),
  ...over
})
