/**
 * Where the `orderops` command keeps its journal, and with it the paper account.
 * A journal relative to the current folder would start a new paper account (1000
 * USDT again) after every `cd`; so it lives in one place whatever the folder:
 * `ORDEROPS_HOME`, else the platform's data folder (`$XDG_DATA_HOME/orderops`,
 * default `~/.local/share/orderops`, on Linux; `~/Library/Application
 * Support/orderops` on macOS; `%APPDATA%\orderops` on Windows), as
 * `journal.sqlite` in it. `--journal`, then `ORDEROPS_JOURNAL`, name another
 * journal (a file, a PostgreSQL URL or `:memory:`) and win over the folder.
 * Nothing is created until a command opens the journal.
 */
import { homedir } from "node:os"
import { posix, win32 } from "node:path"
import { Config, Effect, Layer, Option } from "effect"
import { JournalError } from "../errors/JournalError.ts"
import { JournalLayer } from "../layers/journal/Journal.ts"
import type { OrderJournal } from "../services/OrderJournal.ts"
import { journalFlag } from "./settings.ts"

export const HOME_ENV = "ORDEROPS_HOME"

/** The journal's file name in the home folder. */
export const JOURNAL_FILE = "journal.sqlite"

/** The variables the home folder is found from; each blank one counts as unset. */
export interface HomeEnv {
  readonly ORDEROPS_HOME?: string | undefined
  readonly XDG_DATA_HOME?: string | undefined
  readonly APPDATA?: string | undefined
  readonly HOME?: string | undefined
}

const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim())

/** The orderops folder on `platform`, given its variables and the user's home directory. */
export const homeFolder = (platform: NodeJS.Platform, env: HomeEnv, home: string): string => {
  const explicit = given(env.ORDEROPS_HOME)
  if (explicit !== undefined) return explicit
  const userHome = given(env.HOME) ?? home
  if (platform === "win32") return win32.join(given(env.APPDATA) ?? win32.join(userHome, "AppData", "Roaming"), "orderops")
  if (platform === "darwin") return posix.join(userHome, "Library", "Application Support", "orderops")
  // XDG: a relative XDG_DATA_HOME is invalid and ignored.
  const xdg = given(env.XDG_DATA_HOME)
  return posix.join(xdg !== undefined && xdg.startsWith("/") ? xdg : posix.join(userHome, ".local", "share"), "orderops")
}

const variable = (name: string) => Config.option(Config.String(name)).pipe(Effect.map(Option.getOrUndefined))

/** This machine's orderops folder, its variables read through `Config` (so a `ConfigProvider` can give them). */
export const homeFromConfig: Effect.Effect<string, Config.ConfigError> = Effect.gen(function*() {
  const env: HomeEnv = {
    ORDEROPS_HOME: yield* variable(HOME_ENV),
    XDG_DATA_HOME: yield* variable("XDG_DATA_HOME"),
    APPDATA: yield* variable("APPDATA"),
    HOME: yield* variable("HOME")
  }
  return homeFolder(process.platform, env, homedir())
})

/** The journal the command uses: `--journal`, else `ORDEROPS_JOURNAL`, else `journal.sqlite` in the home folder. */
export const journalLocation: Effect.Effect<string, Config.ConfigError> = Effect.gen(function*() {
  const flag = Option.flatten(yield* Effect.serviceOption(journalFlag))
  const fromFlag = Option.getOrUndefined(flag)
  if (fromFlag !== undefined && fromFlag.trim() !== "") return fromFlag.trim()
  const fromEnv = given(yield* variable("ORDEROPS_JOURNAL"))
  if (fromEnv !== undefined) return fromEnv
  const home = yield* homeFromConfig
  return process.platform === "win32" ? win32.join(home, JOURNAL_FILE) : posix.join(home, JOURNAL_FILE)
})

/** The journal every command opens (see `journalLocation`). */
export const journalLayer: Layer.Layer<OrderJournal, JournalError> = Layer.unwrap(
  journalLocation.pipe(
    Effect.map(JournalLayer),
    Effect.mapError((e) => new JournalError({ operation: "config", location: "ORDEROPS_JOURNAL", detail: e.message, cause: e }))
  )
)
