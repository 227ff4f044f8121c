import type { z } from "zod";
import { InputValidationError, OutputValidationError } from "../errors.ts";

/** Formats zod issues as `path: message` lines a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`).join("; ");
}

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputValidationError({ message: `Invalid input for ${where}: ${describeIssues(result.error)}`, where, issues: result.error.issues.map(({ path, message, code }) => ({ path, message, code })) });
}

export function parseOutput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new OutputValidationError({ message: `Invalid output from ${where}: ${describeIssues(result.error)}`, where, issues: result.error.issues.map(({ path, message, code }) => ({ path: path.map(String), message, code })) });
}
