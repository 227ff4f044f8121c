/**
 * Where the runtime, agents and the gateway write what they notice (warnings, flags, progress).
 * Every line carries the run, step, agent and workflow it belongs to, so logs join with the
 * journal, traces and the audit trail; `child` adds to those bindings.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `bindings` (e.g. the step key and agent of one call). */
  child(bindings: LogBindings): Logger;
}

/** What a log line belongs to. */
export interface LogBindings {
  runId?: string;
  stepKey?: string;
  agent?: string | null;
  workflow?: string;
  [field: string]: unknown;
}
