/**
 * What the `orderops` executable needs from Node, checked before anything else
 * loads. Nothing here imports anything, so it runs on any Node old enough to
 * print the message. The minimum is the highest our dependencies declare
 * (`@effect/platform-node` and `undici`: 22.19); Node 23 lacks what the SQLite
 * journal uses (`StatementSync.setReturnArrays`, in 22.16 and 24.0, not in 23).
 * `package.json` `engines` says the same (a test holds them together).
 */

export const SUPPORTED_NODE = "^22.19.0 || >=24"

/** Why this Node cannot run orderops (one line), or undefined when it can. */
export const unsupportedNode = (version: string): string | undefined => {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number)
  const supported = (major === 22 && minor >= 19) || major >= 24
  return supported ? undefined : `needs Node.js 22.19 or later (22.x from 22.19, or 24 and later); this is Node.js ${version.replace(/^v/, "")}`
}

/**
 * Drops Node's "SQLite is an experimental feature" warning (the journal uses
 * `node:sqlite` on purpose); every other warning is emitted as before.
 */
export const quietSqliteWarning = (): void => {
  const emitWarning = process.emitWarning
  process.emitWarning = function(this: unknown, warning: string | Error, ...rest: Array<any>) {
    const text = typeof warning === "string" ? warning : warning.message
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0]?.type ?? (typeof warning === "string" ? undefined : warning.name))
    if (type === "ExperimentalWarning" && text.startsWith("SQLite is an experimental feature")) return
    return (emitWarning as (...args: Array<unknown>) => void).call(process, warning, ...rest)
  } as typeof process.emitWarning
}
