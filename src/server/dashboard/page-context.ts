import { roleAllows, type OperatorRole } from "../../governance/operator-keys.ts";
import type { Operator } from "../../operator/operator.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import type { Identity } from "../auth.ts";
import type { Html, LiveOptions, PageShell } from "./layout.ts";

/** What a page reads from: the operator API acting as the caller, the runtime's workflows, the request. */
export interface PageContext {
  operator: Operator;
  runtime: Runtime;
  identity: Identity;
  params: Record<string, string>;
  query: Record<string, string>;
  now: () => number;
}

/** A rendered page: the fragment that live updates swap, and what the shell needs around it. */
export interface RenderedPage {
  title: string;
  section: PageShell["section"];
  live?: LiveOptions;
  body: Html;
}

/** True when the caller may do what needs `role`: the page hides what the API would refuse (403). */
export function may(context: PageContext, role: OperatorRole): boolean {
  return roleAllows(context.identity.role, role);
}

/** A query parameter as a trimmed string, undefined when empty. */
export function queryText(context: PageContext, name: string): string | undefined {
  const value = context.query[name]?.trim();
  return value ? value : undefined;
}

/** The page size asked for with `?limit=` (1 to 200), else `fallback`; anything else is the fallback too. */
export function pageSize(context: PageContext, fallback = 50): number {
  const value = Number(context.query.limit);
  return Number.isInteger(value) && value >= 1 && value <= 200 ? value : fallback;
}
