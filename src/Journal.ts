/**
 * The order journal's layers, as a namespace: `Journal.layerSqlite(file)`,
 * `Journal.layerPg(url)`, `Journal.layerMemory`, and `Journal.layer(location)` /
 * `Journal.layerFromEnv` (a location as `ORDEROPS_JOURNAL` gives it). The service
 * itself is `OrderJournal`.
 */
import { OrderJournal } from "./services/OrderJournal.ts"

export {
  JournalLayer as layer,
  JournalLayerFromEnv as layerFromEnv,
  PgJournalLayer as layerPg,
  type PgJournalOptions,
  type SqliteJournalOptions,
  SqliteJournalLayer as layerSqlite
} from "./layers/journal/Journal.ts"

/** In memory, lost at exit: for tests. */
export const layerMemory = OrderJournal.layerMemory
