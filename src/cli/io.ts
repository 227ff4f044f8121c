import { readFileSync } from "node:fs";
import { CadreError, InputValidationError } from "../errors.ts";
import { usd } from "../governance/money.ts";
import { ExitCode } from "./exit-codes.ts";

export const style = {
  enabled: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  paint(code: number, text: string) {
    return this.enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
  },
  green: (text: string) => style.paint(32, text),
  red: (text: string) => style.paint(31, text),
  yellow: (text: string) => style.paint(33, text),
  dim: (text: string) => style.paint(2, text),
  bold: (text: string) => style.paint(1, text),
};

/** Reads `--input`: inline JSON, or `@path` to a JSON file, or `-` for stdin. */
export function readJsonInput(value: string | undefined): unknown {
  if (value === undefined) return {};
  let text = value;
  let where = "--input";
  if (value === "-") {
    text = readFileSync(0, "utf8");
    where = "standard input";
  } else if (value.startsWith("@")) {
    where = value.slice(1);
    try {
      text = readFileSync(where, "utf8");
    } catch (error) {
      throw new InputValidationError({ message: `Cannot read input file ${where}: ${(error as Error).message}`, path: where });
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputValidationError({ message: `The input in ${where} is not valid JSON: ${(error as Error).message}.`, fix: `Pass JSON like --input '{"applicantId":"A-1001"}' or --input @input.json.`, where });
  }
}

/** The largest single deposit the CLI takes: far inside the ledger's exact-integer range, so balances that add up many deposits stay exact. */
const maxDollars = 1_000_000_000;

/**
 * Reads an amount of dollars typed on the command line (`25`, `0.50`): a plain positive
 * decimal from one micro-dollar up to the maximum deposit, so it converts exactly to micro-units.
 */
export function parseDollars(text: string): number {
  const dollars = /^(\d+(\.\d*)?|\.\d+)$/.test(text.trim()) ? Number(text) : Number.NaN;
  const micros = usd(dollars);
  if (Number.isNaN(dollars) || micros < 1 || dollars > maxDollars) {
    throw new InputValidationError({ message: `The amount must be a positive number of dollars like 25 or 0.50, at least $0.000001 and at most $${maxDollars.toLocaleString("en-US")}; got "${text}".`, amount: text, maxMicros: usd(maxDollars) });
  }
  return dollars;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Maps an error to its exit code: bad input, configuration and usage are 2, everything else 1. */
export function exitCodeFor(error: unknown): number {
  if (!CadreError.is(error)) return ExitCode.failed;
  return error.fault === "input" || error.fault === "configuration" ? ExitCode.usage : ExitCode.failed;
}

/** Prints an error as `error [CODE]: message` (or JSON) on stderr. */
export function reportError(error: unknown, json = false): void {
  if (json) {
    const body = CadreError.is(error) ? error.toJSON() : { name: "Error", code: "INTERNAL", message: String((error as Error)?.message ?? error) };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
    return;
  }
  if (CadreError.is(error)) process.stderr.write(`${style.red(`error [${error.code}]`)}: ${error.message}\n`);
  else process.stderr.write(`${style.red("error")}: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
}
