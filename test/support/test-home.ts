/**
 * Vitest global setup: the tests' `ORDEROPS_HOME`. `vitest.config.ts` points it at
 * a folder of this run's own under the system's temp dir (never the real home's
 * data folder, where the `orderops` command keeps its paper account by default);
 * nothing creates it until a command opens its journal there. This removes it when
 * the run ends, so the run leaves nothing behind.
 */
import { rmSync } from "node:fs"
import { basename } from "node:path"

export const TEST_HOME_PREFIX = "orderops-test-home-"

export default function setup() {
  return () => {
    const home = process.env["ORDEROPS_HOME"]
    if (home !== undefined && basename(home).startsWith(TEST_HOME_PREFIX)) rmSync(home, { recursive: true, force: true })
  }
}
