import { tmpdir } from "node:os"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// `.ci/run` sets VITEST_JSON_REPORT to count results for its closing line.
const report = process.env.VITEST_JSON_REPORT

// The `orderops` command's home (its default journal) during the run: a temp folder
// of this run's own, removed when it ends (test/support/test-home.ts). Set here, in
// the main process too, so that the global setup knows it.
process.env.ORDEROPS_HOME = join(tmpdir(), `orderops-test-home-${process.pid}`)

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Layers that default to the durable journal keep it in memory under test.
    env: { ORDEROPS_JOURNAL: ":memory:", ORDEROPS_HOME: process.env.ORDEROPS_HOME },
    // A test's log lines reach the report only when it fails.
    silent: "passed-only",
    // The run fails if a test left a file in the work tree or in the temp folder (see each file's header);
    // test-home gives the run its own ORDEROPS_HOME and removes it.
    globalSetup: ["test/support/work-tree-guard.ts", "test/support/temp-guard.ts", "test/support/test-home.ts"],
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"]
  }
})
