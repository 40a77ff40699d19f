/**
 * A module-loading recorder, preloaded with `node --import ./test/support/record-modules.ts`.
 * It registers a synchronous resolve hook (`module.registerHooks`) that sees every
 * module the process resolves, static or dynamic, and on exit writes their URLs,
 * one per line, to the file named by `ORDEROPS_RECORD_MODULES`. The CLI tests use
 * it to prove that the dry-run path never loads ccxt.
 */
import { writeFileSync } from "node:fs"
import { registerHooks } from "node:module"

const out = process.env["ORDEROPS_RECORD_MODULES"]
const seen = new Set<string>()

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    seen.add(resolved.url)
    return resolved
  }
})

if (out !== undefined) process.on("exit", () => writeFileSync(out, [...seen].join("\n")))
