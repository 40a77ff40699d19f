import { defineConfig } from "vitest/config"

// `.ci/run` sets VITEST_JSON_REPORT to count results for its closing line.
const report = process.env.VITEST_JSON_REPORT

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Layers that default to the durable journal keep it in memory under test.
    env: { ORDEROPS_JOURNAL: ":memory:" },
    // A test's log lines reach the report only when it fails.
    silent: "passed-only",
    // The run fails if a test left a file in the work tree or in the temp folder (see each file's header).
    globalSetup: ["test/support/work-tree-guard.ts", "test/support/temp-guard.ts"],
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"]
  }
})
