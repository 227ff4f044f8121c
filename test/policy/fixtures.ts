import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** The example policies the README shows: a base permit, data classes, residency, amount → approval, a time window. */
export const examplePolicies: Record<string, string> = {
  "base.cedar": `// Grants decide who may do what; the policies below add the organisation's limits.
@id("allow-granted")
permit (principal, action, resource);
`,
  "data-classes.cedar": `@id("data-class-clearance")
@message("the agent is not cleared for the class of data this tool handles")
forbid (principal, action == Cadre::Action::"tool", resource)
when { ["pii", "financial", "health", "credentials"].contains(resource.dataClass) && !principal.clearance.contains(resource.dataClass) };
`,
  "residency.cedar": `@id("eu-data-stays-in-eu")
@message("this agent handles EU data: it may only use tools and models in the eu region")
forbid (principal, action in [Cadre::Action::"tool", Cadre::Action::"model"], resource)
when { principal.labels.contains("eu-data") && resource.region != "eu" };
`,
  "spending.cedar": `@id("large-payments-need-approval")
@approval("a call that may cost more than $1.00 needs a person's approval")
forbid (principal, action in [Cadre::Action::"tool", Cadre::Action::"model"], resource)
when { context.amountMicros > 1000000 };
`,
  "hours.cedar": `@id("no-payments-at-night")
@message("paid tool calls are refused between 22:00 and 06:00 UTC")
forbid (principal, action == Cadre::Action::"tool", resource)
when { context.amountMicros > 0 && (context.time.hourUtc >= 22 || context.time.hourUtc < 6) };
`,
};

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
