import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** The example policies the README shows (test/fixtures/policy/policies): a base permit, data classes, residency, amount → approval, a time window. */
export const examplePolicyDir = join(import.meta.dirname, "../fixtures/policy/policies");
export const examplePolicies: Record<string, string> = Object.fromEntries(readdirSync(examplePolicyDir).map((name) => [name, readFileSync(join(examplePolicyDir, name), "utf8")]));

/** Writes policy files into a fresh folder removed after the test; returns the folder. */
export function policyFolders() {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return (files: Record<string, string> = examplePolicies): string => {
    const folder = mkdtempSync(join(tmpdir(), "cadre-policies-"));
    folders.push(folder);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
    return folder;
  };
}

/** 12:00 and 23:00 UTC on a fixed day: inside and outside the payment hours. */
export const noon = Date.parse("2026-03-02T12:00:00Z");
export const lateEvening = Date.parse("2026-03-02T23:00:00Z");
