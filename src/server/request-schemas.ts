/**
 * What the API's requests may hold: path parameters, query strings and JSON bodies are parsed with these.
 */
import { z } from "zod";
import { operatorRoles } from "../governance/operator-keys.ts";
import { spendGroupings } from "../operator/budgets.ts";
import { maxPageSize } from "../operator/page.ts";
import { runStatuses } from "../operator/runs.ts";

/** Money: integer micro-units (1 USD = 1,000,000). */
export const micros = z.number().int().describe("integer micro-units: 1 USD = 1,000,000");
export const epochMs = z.number().describe("epoch milliseconds");

const anyJson = z.unknown();

/** Query numbers arrive as text: `?limit=20`. */
const queryInt = (description: string) =>
  z
    .string()
    .regex(/^\d+$/, "a whole number")
    .transform(Number)
    .describe(description);

export const pageQuery = z.object({
  cursor: z.string().optional().describe("the nextCursor of the previous page"),
  limit: queryInt(`page size, 1 to ${maxPageSize}`).optional(),
});

export const runListQuery = pageQuery.extend({
  status: z
    .string()
    .optional()
    .describe(`one status or several, comma-separated: ${runStatuses.join(", ")}`),
  workflow: z.string().optional(),
  parent: z.string().optional().describe('a run id: only its child runs; "none": only root runs'),
});

export const runIdParams = z.object({ id: z.string().min(1) });

export const startRunBody = z.object({
  workflow: z.string().min(1).describe("a workflow the server's config defines"),
  input: anyJson.optional().describe("the workflow's input (checked against its schema)"),
  budget: micros.nonnegative().optional().describe("micro-units moved from the workflow's account to the run (default: its budget.perRun)"),
  goal: z.string().optional(),
});

export const resumeRunBody = z.object({ force: z.boolean().optional().describe("take the run over even if another process holds its lease") });

export const cancelRunBody = z.object({ reason: z.string().max(2000).optional().describe("recorded in the audit log") });

export const decisionParams = z.object({ runId: z.string().min(1), approvalId: z.string().min(1).describe("the approval's name, as the run asked for it") });

export const decisionBody = z.object({ note: z.string().max(2000).optional().describe("why (recorded in the audit log)") });

export const approvalListQuery = z.object({ runId: z.string().optional() });

export const agentParams = z.object({ name: z.string().min(1) });

export const revokeAgentBody = z.object({ reason: z.string().max(2000).optional() });

export const reviewAgentBody = z.object({ note: z.string().max(2000).optional() });

export const grantBody = z.object({
  scope: z.string().min(1).describe("e.g. tool:credit-bureau"),
  resource: z.string().optional().describe("glob over resource names (default *)"),
  expiresAt: epochMs.optional(),
  maxUses: z.number().int().positive().optional(),
});

export const grantParams = agentParams.extend({ grantId: z.string().min(1) });

export const budgetQuery = z.object({ runId: z.string().optional().describe("a run's accounts instead of the treasury, workflow and cap accounts") });

export const fundBody = z.object({
  amountMicros: micros.positive(),
  workflow: z.string().optional().describe("allocate the deposit to this workflow's account"),
  runId: z.string().optional().describe("give the deposit to this unfinished run"),
  note: z.string().max(2000).optional(),
});

export const spendQuery = z.object({
  by: z.enum(spendGroupings as [string, ...string[]]).describe("agent, tool, model, run or day"),
  runId: z.string().optional(),
  agent: z.string().optional(),
  includeChildRuns: z.enum(["true", "false"]).optional().describe("with runId: count its child runs (default true)"),
});

export const auditQuery = pageQuery.extend({
  runId: z.string().optional(),
  kind: z.string().optional().describe("an exact kind, or a family such as approval.*"),
  agent: z.string().optional(),
  principal: z.string().optional(),
  since: queryInt("epoch ms, inclusive").optional(),
  until: queryInt("epoch ms, exclusive").optional(),
});

export const auditExportQuery = z.object({ runId: z.string().optional() });

export const createKeyBody = z.object({
  operator: z.string().min(1).describe("who the key acts as: named in the audit log"),
  role: z.enum(operatorRoles),
});

export const keyParams = z.object({ id: z.string().min(1) });

