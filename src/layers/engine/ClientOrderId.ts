/**
 * Client order ids: generated before an order's first attempt and journaled with
 * its intent, so that after a lost answer the order can be looked up and never sent
 * twice. The prefix lets recovery recognise orderops' own orders on the exchange.
 */
import { randomUUID } from "node:crypto"

/** Client order ids orderops generates start with this. */
export const CLIENT_ORDER_ID_PREFIX = "oo_"

/**
 * A fresh client order id: `oo_` + base-36 time + 16 random hex digits (at most 31
 * characters of `[a-z0-9_]`, within Binance's 36 of `[.A-Z:/a-z0-9_-]`).
 *
 * The digits are the first and last eight of a random UUID (`xxxxxxxx-xxxx-4xxx-
 * yxxx-xxxxxxxxxxxx`), which are all random. Node draws UUIDs from a batch of OS
 * entropy; a `randomBytes` call per id is a system call, and a dry run creates ids
 * fast enough for that to be most of its time (bench (c)).
 */
export const newClientOrderId = (now: number): string => {
  const uuid = randomUUID()
  return `${CLIENT_ORDER_ID_PREFIX}${now.toString(36)}_${uuid.slice(0, 8)}${uuid.slice(28)}`
}

export const isOwnClientOrderId = (id: string): boolean => id.startsWith(CLIENT_ORDER_ID_PREFIX)
