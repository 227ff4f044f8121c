import type { Logger } from "../engine/logger.ts";

/** Logs as JSON lines on stderr when CADRE_LOG is set; silent otherwise so CLI output stays clean. */
export function createLogger(fields: Record<string, unknown>, enabled = Boolean(process.env.CADRE_LOG)): Logger {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    if (enabled) process.stderr.write(`${JSON.stringify({ level, message, ...fields, ...extra })}\n`);
  };
  return { info: write("info"), warn: write("warn"), error: write("error") };
}
