/**
 * Running the `orderops` command in tests: in-process through `runCli` (the same
 * code path as the executable, with a `TestConsole`, `env` as the whole
 * environment), and as a real child process of `node src/cli/main.ts`. Temp dirs
 * made here are removed by `removeTempDirs` (call it in `afterAll`).
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Effect, Layer } from "effect"
import { TestConsole } from "effect/testing"
import { runCli } from "../../src/cli/commands.ts"
import { Confirmation } from "../../src/cli/environment.ts"

const dirs: Array<string> = []

export const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "orderops-cli-"))
  dirs.push(dir)
  return dir
}

export const removeTempDirs = () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** An environment whose journal is a new SQLite file in a temp dir. */
export const journalEnv = () => ({ ORDEROPS_JOURNAL: join(tempDir(), "journal.sqlite") })

export interface Run {
  readonly code: number
  readonly out: string
  readonly err: string
}

/**
 * Runs one command line in-process with `env` as the whole environment, the given
 * answer to confirmations (a test fails if an unexpected question is asked).
 */
export const cli = (args: ReadonlyArray<string>, env: Record<string, string>, answer?: boolean) =>
  Effect.gen(function*() {
    const code = yield* runCli(args)
    const out = (yield* TestConsole.logLines).join("\n")
    const err = (yield* TestConsole.errorLines).join("\n")
    return { code, out, err } satisfies Run
  }).pipe(
    Effect.provideService(
      Confirmation,
      (question) =>
        answer === undefined ? Effect.die(new Error(`unexpected confirmation: ${question}`)) : Effect.succeed(answer)
    ),
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
    Effect.provide(Layer.mergeAll(NodeServices.layer, TestConsole.layer))
  )

export interface Spawned {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The project's Node (24), relative to the repository root. */
export const node = "node_modules/.bin/node"

const root = join(import.meta.dirname, "..", "..")

/**
 * Runs `node src/cli/main.ts args` to its end with PATH, HOME and `env` as its
 * environment, in the repository root or `cwd`.
 */
export const spawnCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  nodeArgs: ReadonlyArray<string> = [],
  cwd: string = root
) =>
  Effect.promise(() =>
    new Promise<Spawned>((resolve) => {
      const child = spawn(join(root, node), [...nodeArgs, join(root, "src/cli/main.ts"), ...args], {
        cwd,
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
  )
