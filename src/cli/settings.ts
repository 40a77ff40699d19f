/**
 * The `orderops` command's global settings, accepted anywhere on the command line
 * (`effect/cli` global flags): how it logs (`--log-format`) and which journal it
 * opens (`--journal`), and the logger that reads the first. The command's handler
 * gets their values as services; the logger reads the format from the fiber that
 * logs, so every line a command writes follows it.
 */
import { Console, Context, Logger, Option } from "effect"
import { Flag, GlobalFlag } from "effect/cli"
import { formatFromConfig, formatRecord, LOG_FORMATS, type LogFormat, recordOf } from "../services/LogFormat.ts"
import { redactSecrets } from "./output.ts"

/** `--log-format line|json` (default: `ORDEROPS_LOG_FORMAT`, else `line`). */
export const logFormatFlag = GlobalFlag.Setting("log-format")({
  flag: Flag.Literals("log-format", LOG_FORMATS).pipe(
    Flag.withDescription("Log lines as text (line: time, level, message, annotations) or as one JSON object each (json); default ORDEROPS_LOG_FORMAT, else line"),
    Flag.withMetavar("<line|json>"),
    Flag.withFallbackConfig(formatFromConfig)
  )
})

/** `--journal LOCATION`: a SQLite file, a PostgreSQL URL or `:memory:` (see `home.ts` for the default). */
export const journalFlag = GlobalFlag.Setting("journal")({
  flag: Flag.String("journal").pipe(
    Flag.withDescription("The journal (and paper account): a SQLite file, a postgres:// URL or :memory: (default: ORDEROPS_JOURNAL, else journal.sqlite in ORDEROPS_HOME)"),
    Flag.withMetavar("LOCATION"),
    Flag.optional
  )
})

export const globalFlags = [logFormatFlag, journalFlag] as const

/**
 * The command's logger: one line per record on stderr (stdout stays clean for
 * `--json`), in the `--log-format` of the fiber that logs, secrets redacted. The
 * engine's "<operation> failed: ..." ERROR line is left out: the command reports
 * that same failure itself, with its exit code.
 */
export const cliLogger = Logger.make<unknown, void>((options) => {
  const record = recordOf(options)
  if (record.level === "ERROR" && /^\w+ failed: /.test(record.message)) return
  const format: LogFormat = Option.getOrElse(Context.getOption(options.fiber.context, logFormatFlag), () => "line" as const)
  options.fiber.getRef(Console.Console).error(redactSecrets(formatRecord(format, record)))
})
