/**
 * A journal whose write lock another process keeps (issue 19, defect 8): in WAL mode
 * reads go on, so before, the layer built and then every create waited out the 5 s
 * busy timeout before failing. Now the layer fails at start with a `JournalError`
 * naming the holder, and nothing is sent. The holder is a real second process.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DryRunExchangeLayer } from "../src/layers/dryrun/DryRun.ts"
import { SqliteJournalLayer } from "../src/layers/journal/Journal.ts"
import { createLimitBuy } from "../src/services/Exchange.ts"
import { startChild } from "./support/child.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "orderops-lock-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

describe("a write-locked SQLite journal", () => {
  it.effect("fails at layer start with a JournalError naming the process that holds the lock", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "journal.sqlite")
      // A journal a bot used before: created, migrated, closed.
      yield* Effect.scoped(Layer.build(SqliteJournalLayer(filename, { synchronous: "normal" })))
      const holder = yield* Effect.acquireRelease(
        Effect.sync(() => startChild("test/support/lock-holder.ts", { LOCK_FILE: filename })),
        (child) => Effect.promise(() => child.kill())
      )
      const pid = (yield* Effect.promise(() => holder.waitFor("locked"))).split(" ")[1]

      const layer = DryRunExchangeLayer({ price: 0.1, journal: SqliteJournalLayer(filename, { synchronous: "normal" }) })
      const started = Date.now()
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)).pipe(Effect.andThen(createLimitBuy(0.09, 100).pipe(Effect.provide(layer)))))
      assert.strictEqual(error._tag, "JournalError")
      assert.strictEqual(error._tag === "JournalError" && error.operation, "open")
      assert.include(error.message, "Locked")
      assert.include(error.message, `pid ${pid}`)
      // One busy timeout at start, not one per create.
      assert.isBelow(Date.now() - started, 9_000)
    }), 30_000)
})
