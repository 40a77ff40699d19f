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
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"]
  }
})
