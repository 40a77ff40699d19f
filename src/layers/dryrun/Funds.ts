/**
 * The paper exchange's funds ledger: a free and a used (locked) amount per asset,
 * apart from the book (`Simulator.ts`) so that every move of money reads in
 * one place. An order locks what it could spend when placed, gives the lock back
 * when cancelled or expired, and a fill pays for what it takes. Every asset a step
 * touches is remembered, so that `takeChanged` hands the rows to the paper store.
 */
import { Result } from "effect"
import { ExchangeError } from "../../errors/ExchangeError.ts"
import * as D from "../../services/Decimal.ts"
import type { OrderSide } from "../../services/OrderRecord.ts"
import type { Balance } from "../../services/Venue.ts"

interface Funds {
  free: D.Decimal
  used: D.Decimal
}

/** One fill's money, as the ledger settles it. */
export interface FillMoney {
  readonly side: OrderSide
  readonly base: string
  readonly quote: string
  /** The price a limit order locked at (its whole lock is per unit); `undefined` for a market order, which locked nothing. */
  readonly lockPrice: D.Decimal | undefined
  readonly quantity: D.Decimal
  /** What the fill costs in the quote asset (price times quantity). */
  readonly cost: D.Decimal
  readonly feeRate: D.Decimal
}

export type FundsLedger = ReturnType<typeof makeFunds>

export const makeFunds = (seed: ReadonlyMap<string, Balance>) => {
  const funds = new Map<string, Funds>()
  const changed = new Set<string>()
  for (const [asset, b] of seed) funds.set(asset, { free: b.free, used: b.used })

  const fundsOf = (asset: string): Funds => {
    let f = funds.get(asset)
    if (f === undefined) {
      f = { free: D.ZERO, used: D.ZERO }
      funds.set(asset, f)
    }
    return f
  }
  /** `fundsOf`, for a change: the asset's row is written with the step. */
  const touch = (asset: string): Funds => {
    changed.add(asset)
    return fundsOf(asset)
  }

  /** Locks `need` of `asset` for an order (with `lock` false, only checks it is free), or refuses it for want of funds. */
  const lock = (op: string, symbol: string, clientOrderId: string, asset: string, need: D.Decimal, lock = true): Result.Result<void, ExchangeError> => {
    const f = fundsOf(asset)
    if (D.lt(f.free, need)) {
      const detail = `Account has insufficient balance for requested action: need ${D.format(need)} ${asset}, free ${D.format(f.free)}`
      return Result.fail(new ExchangeError({ operation: op, symbol, reason: "InsufficientFunds", detail, clientOrderId }))
    }
    if (!lock) return Result.succeed(undefined)
    touch(asset)
    f.free = D.sub(f.free, need)
    f.used = D.add(f.used, need)
    return Result.succeed(undefined)
  }

  /** Gives `amount` of a lock on `asset` back to the free balance. */
  const release = (asset: string, amount: D.Decimal) => {
    const f = touch(asset)
    f.used = D.sub(f.used, amount)
    f.free = D.add(f.free, amount)
  }

  /**
   * Settles one fill: releases that part of a limit order's lock, pays the cost, and
   * credits the asset received less the fee (charged in that asset). Gives the fee.
   */
  const settleFill = (m: FillMoney): D.Decimal => {
    const base = touch(m.base)
    const quote = touch(m.quote)
    if (m.side === "buy") {
      if (m.lockPrice !== undefined) {
        const locked = D.mul(m.lockPrice, m.quantity)
        quote.used = D.sub(quote.used, locked)
        quote.free = D.add(quote.free, locked)
      }
      const fee = D.mul(m.quantity, m.feeRate)
      quote.free = D.sub(quote.free, m.cost)
      base.free = D.add(base.free, D.sub(m.quantity, fee))
      return fee
    }
    if (m.lockPrice !== undefined) base.used = D.sub(base.used, m.quantity)
    else base.free = D.sub(base.free, m.quantity)
    const fee = D.mul(m.cost, m.feeRate)
    quote.free = D.add(quote.free, D.sub(m.cost, fee))
    return fee
  }

  return {
    lock,
    release,
    settleFill,
    setFree: (asset: string, free: D.Decimal) => {
      touch(asset).free = free
    },
    balances: (): ReadonlyMap<string, Balance> => new Map([...funds].map(([a, f]) => [a, { free: f.free, used: f.used }])),
    /** The rows of the assets changed since the last call. */
    takeChanged: (): ReadonlyArray<readonly [asset: string, balance: Balance]> => {
      const rows = Array.from(changed, (asset) => {
        const f = fundsOf(asset)
        return [asset, { free: f.free, used: f.used }] as const
      })
      changed.clear()
      return rows
    }
  }
}
