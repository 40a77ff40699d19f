/**
 * Client order ids: generated before an order's first attempt and journaled with
 * its intent, so that after a lost answer the order can be looked up and never sent
 * twice. The prefix lets recovery recognise orderops' own orders on the exchange.
 */
import { randomBytes } from "node:crypto"

/** Client order ids orderops generates start with this. */
export const CLIENT_ORDER_ID_PREFIX = "oo_"

/**
 * A fresh client order id: `oo_` + base-36 time + 16 random hex digits (at most 31
 * characters of `[a-z0-9_]`, within Binance's 36 of `[.A-Z:/a-z0-9_-]`).
 */
export const newClientOrderId = (now: number): string =>
  `${CLIENT_ORDER_ID_PREFIX}${now.toString(36)}_${randomBytes(8).toString("hex")}`

export const isOwnClientOrderId = (id: string): boolean => id.startsWith(CLIENT_ORDER_ID_PREFIX)
