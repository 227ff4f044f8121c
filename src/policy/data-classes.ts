import { ConfigurationError } from "../errors.ts";

/** What kind of data a tool handles; an agent's clearance lists the classes it may handle. */
export const dataClasses = ["public", "internal", "confidential", "pii", "financial", "health", "credentials"] as const;
export type DataClass = (typeof dataClasses)[number];

const regionPattern = /^[a-z][a-z0-9-]{0,31}$/;
const labelPattern = /^[a-z0-9][a-z0-9:._-]{0,63}$/;

/** Checks a declared data class (a tool's) or clearance (an agent's): a misspelt class would silently match no policy. */
export function checkDataClasses(subject: string, field: string, values: readonly unknown[]): void {
  for (const value of values) {
    if (!(dataClasses as readonly unknown[]).includes(value)) {
      throw new ConfigurationError({ message: `${subject} has ${field} ${JSON.stringify(value)}, which is not a data class.`, fix: `Use one of ${dataClasses.join(", ")}.`, subject, field, value });
    }
  }
}

/** A region names where something runs or sends data: `eu`, `us-east-1`. */
export function checkRegion(subject: string, region: unknown): void {
  if (region === undefined || (typeof region === "string" && regionPattern.test(region))) return;
  throw new ConfigurationError({ message: `${subject} has region ${JSON.stringify(region)}; a region is lowercase letters, digits and dashes, starting with a letter (e.g. "eu", "us-east-1").`, subject, field: "region", value: region });
}

/** Labels are free-form tags policies match on (`eu-data`, `team:risk`). */
export function checkLabels(subject: string, labels: unknown): void {
  if (labels === undefined) return;
  if (!Array.isArray(labels)) throw new ConfigurationError({ message: `${subject} has labels ${JSON.stringify(labels)}; labels are an array of strings.`, subject, field: "labels", value: labels });
  for (const label of labels) {
    if (typeof label !== "string" || !labelPattern.test(label)) {
      throw new ConfigurationError({ message: `${subject} has label ${JSON.stringify(label)}; a label is lowercase letters, digits and ":._-" (e.g. "eu-data").`, subject, field: "labels", value: label });
    }
  }
}
