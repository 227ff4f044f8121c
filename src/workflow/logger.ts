import { createRequire } from "node:module";
import type * as PinoModule from "pino";
import type { Logger as Pino } from "pino";
import type { LogBindings, Logger } from "../engine/logger.ts";

export type LogFormat = "json" | "pretty";
export type LogLevel = "debug" | "info" | "warn" | "error";
const levels: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const formats: readonly LogFormat[] = ["json", "pretty"];

/** Where log lines go: stderr by default, anything with `write` in tests. */
export interface LogDestination {
  write(line: string): void;
}

export interface LogSettings {
  /** Off: nothing is written (a piped command with no log settings keeps stderr for its own output). */
  enabled: boolean;
  format: LogFormat;
  level: LogLevel;
}

/**
 * The log settings of this process: `CADRE_LOG_FORMAT` (json | pretty; `--log-format` sets it),
 * `CADRE_LOG_LEVEL` (debug | info | warn | error) and `CADRE_LOG` (any value: on). With none of
 * them, logs are on only when stderr is a terminal, human-readable, warnings and errors only.
 */
export function logSettings(env: NodeJS.ProcessEnv = process.env, terminal = Boolean(process.stderr.isTTY)): LogSettings {
  const format = formats.find((candidate) => candidate === env.CADRE_LOG_FORMAT) ?? (terminal ? "pretty" : "json");
  const level = levels.find((candidate) => candidate === env.CADRE_LOG_LEVEL) ?? (format === "pretty" && !env.CADRE_LOG_FORMAT ? "warn" : "info");
  const enabled = terminal || Boolean(env.CADRE_LOG || env.CADRE_LOG_FORMAT || env.CADRE_LOG_LEVEL);
  return { enabled, format, level };
}

/** Whether `value` names a log format (for `--log-format`). */
export function isLogFormat(value: string): value is LogFormat {
  return (formats as readonly string[]).includes(value);
}

let shared: { key: string; root: Pino } | undefined;

/**
 * pino (27 modules, ~2 MB resident) is required the first time a logger is actually on: logs are
 * off unless stderr is a terminal or CADRE_LOG* is set, and a runtime that never logs never
 * loads it. pino is CommonJS, so the load is synchronous and createLogger stays synchronous.
 */
let pinoModule: typeof PinoModule | undefined;
function loadPino(): typeof PinoModule {
  pinoModule ??= createRequire(import.meta.url)("pino") as typeof PinoModule;
  return pinoModule;
}

/** One pino logger per process and settings; lines are written synchronously so none is lost when the CLI exits. */
function rootFor(settings: LogSettings, destination?: LogDestination): Pino {
  const { pino, stdTimeFunctions } = loadPino();
  const options = { base: undefined, level: settings.level, messageKey: "msg", timestamp: stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  const target = settings.format === "pretty" ? prettyLines(destination ?? process.stderr) : destination;
  if (target) return pino(options, target);
  const key = `${settings.format}:${settings.level}`;
  if (shared?.key !== key) shared = { key, root: pino(options, pino.destination({ fd: 2, sync: true })) };
  return shared.root;
}

/**
 * A logger for `bindings` (at least the run and workflow). JSON: one object a line with
 * `time`, `level`, `runId`, `stepKey`, `agent`, `workflow` and `msg` (null where a line belongs
 * to no step), then the line's own fields. Pretty: `time LEVEL [workflow run step agent] message fields`.
 */
export function createLogger(bindings: LogBindings, options: { settings?: LogSettings; destination?: LogDestination } = {}): Logger {
  const settings = options.settings ?? logSettings();
  if (!settings.enabled) return silent;
  return bound(rootFor(settings, options.destination), bindings);
}

function bound(root: Pino, bindings: LogBindings): Logger {
  const line = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (!root.isLevelEnabled(level)) return;
    const { runId = null, stepKey = null, agent = null, workflow = null, ...rest } = bindings;
    root[level]({ runId, stepKey, agent, workflow, ...rest, ...fields }, message);
  };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error"), child: (more) => bound(root, { ...bindings, ...more }) };
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** Turns pino's JSON lines into lines for people. */
function prettyLines(out: LogDestination): LogDestination {
  return {
    write(json: string) {
      const { time, level, msg, runId, stepKey, agent, workflow, ...fields } = JSON.parse(json) as Record<string, unknown>;
      const where = [workflow, runId, stepKey, agent].filter((part) => part !== null && part !== undefined).join(" ");
      const extra = Object.entries(fields).map(([key, value]) => ` ${key}=${typeof value === "string" ? value : JSON.stringify(value)}`).join("");
      out.write(`${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${where ? `[${where}] ` : ""}${String(msg)}${extra}\n`);
    },
  };
}
