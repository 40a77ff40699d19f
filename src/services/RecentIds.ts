/**
 * A bounded memory of the most recent ids: the last `capacity` remembered, older ones
 * forgotten. Used to recognise views of orders that have finished (a late answer, a
 * repeated stream frame) without keeping every order id a long-running bot has seen.
 *
 * A ring with a set for look-ups: evicting from the set by iterating it would slow
 * down as deleted slots pile up.
 */
export interface RecentIds {
  has(id: string): boolean
  remember(id: string): void
}

export const makeRecentIds = (capacity: number): RecentIds => {
  const ids = new Set<string>()
  const ring: Array<string | undefined> = new Array(capacity)
  let next = 0
  return {
    has: (id) => ids.has(id),
    remember: (id) => {
      if (ids.has(id)) return
      const evicted = ring[next]
      if (evicted !== undefined) ids.delete(evicted)
      ring[next] = id
      next = (next + 1) % capacity
      ids.add(id)
    }
  }
}
