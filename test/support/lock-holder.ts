/**
 * A second process that keeps a SQLite file's write lock, as a bot stuck in a long
 * transaction or a `sqlite3` shell left in `BEGIN` would: it opens `LOCK_FILE` in WAL
 * mode, takes the write lock (`BEGIN IMMEDIATE`), prints `MARK locked <pid>` and
 * waits until it is killed.
 */
import { DatabaseSync } from "node:sqlite"

const filename = process.env.LOCK_FILE
if (filename === undefined) throw new Error("LOCK_FILE is not set")
const db = new DatabaseSync(filename)
db.exec("PRAGMA journal_mode = WAL")
db.exec("BEGIN IMMEDIATE")
console.log(`MARK locked ${process.pid}`)
setInterval(() => {}, 60_000)
