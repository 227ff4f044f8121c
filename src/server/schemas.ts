import { z } from "zod";
import { errorCatalog, type ErrorCode } from "../errors.ts";
import { operatorRoles } from "../governance/operator-keys.ts";
import { maxPageSize } from "../operator/page.ts";
import { spendGroupings } from "../operator/budgets.ts";
import { runStatuses } from "../operator/runs.ts";

/**
 * The HTTP API's shapes, once: requests are parsed with them, and /api/openapi.json is
 * generated from them. Money is integer micro-units (1 USD = 1,000,000), times epoch ms.
 */

const micros = z.number().int().describe("integer micro-units: 1 USD = 1,000,000");
const epochMs = z.number().describe("epoch milliseconds");
const anyJson = z.unknown();

// ---- requests

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

// ---- responses

export const serializedError = z.object({
  name: z.string(),
  code: z.string(),
  fault: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), anyJson),
});

export const errorResponse = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorCatalog) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.record(z.string(), anyJson),
    }),
  })
  .describe("every error: the code says what happened, the status follows from it");

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const runStatus = z.enum(runStatuses as [string, ...string[]]);

export const runSummary = z.object({
  id: z.string(),
  workflow: z.string(),
  status: runStatus,
  createdAt: epochMs,
  endedAt: epochMs.nullable(),
  parentRunId: z.string().nullable(),
  error: serializedError.optional(),
});

export const runRecord = z.object({
  id: z.string(),
  workflow: z.string(),
  status: runStatus,
  input: anyJson,
  output: anyJson,
  error: serializedError.optional(),
  goal: z.string().nullable(),
  principal: z.string(),
  parentRunId: z.string().nullable(),
  parentStepKey: z.string().nullable(),
  grantCeiling: z.array(z.object({ scope: z.string(), resource: z.string().optional() })).nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
  endedAt: epochMs.nullable(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: epochMs.nullable(),
  leaseEpoch: z.number().int(),
  budget: micros,
});

export const journalEntry = z.object({
  key: z.string(),
  attempt: z.number().int(),
  name: z.string(),
  type: z.string(),
  agent: z.string().nullable(),
  status: z.enum(["started", "completed", "failed", "waiting"]),
  input: anyJson,
  output: anyJson,
  error: serializedError.optional(),
  idempotencyKey: z.string(),
  startedAt: epochMs,
  endedAt: epochMs.nullable(),
  durationMs: z.number().nullable(),
});

export const stepCharge = z.object({ stepKey: z.string().nullable(), amountMicros: micros, subject: z.string().nullable() });

export interface RunTreeShape {
  run: z.infer<typeof runRecord>;
  steps: Array<z.infer<typeof journalEntry>>;
  charges: Array<z.infer<typeof stepCharge>>;
  children: RunTreeShape[];
}

export const runTree: z.ZodType<RunTreeShape> = z.lazy(() =>
  z.object({
    run: runRecord,
    steps: z.array(journalEntry),
    charges: z.array(stepCharge),
    children: z.array(runTree),
  }),
);

export const runCost = z.object({ spentMicros: micros, charges: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int() });

export const wait = z.union([
  z.object({ kind: z.literal("approval"), runId: z.string(), name: z.string() }),
  z.object({ kind: z.literal("event"), runId: z.string(), topic: z.string() }),
]);

export const runDetailResponse = z.object({ tree: runTree, cost: runCost, waits: z.array(wait) });

export const startedRun = z.object({ runId: z.string(), status: runStatus });

export const cancelledRunResponse = z.object({
  runId: z.string(),
  status: z.literal("cancelled"),
  cancelled: z.array(z.object({ runId: z.string(), workflow: z.string(), releasedHolds: z.number().int(), returnedMicros: micros, spentMicros: micros })),
});

export const pendingApproval = z.object({
  runId: z.string(),
  workflow: z.string(),
  name: z.string(),
  stepKey: z.string(),
  request: anyJson,
  requestedAt: epochMs,
  deadline: epochMs.nullable(),
});

export const decisionResponse = z.object({
  runId: z.string(),
  name: z.string(),
  decision: z.object({ approved: z.boolean(), by: z.string(), note: z.string().nullable(), at: epochMs }),
  resume: z.object({
    runId: z.string().describe("the outermost run waiting on this one"),
    workflow: z.string(),
    resumed: z.boolean().describe("false when this server lacks the workflow or another process executes the run"),
  }),
});

export const inventoryRow = z.object({
  name: z.string(),
  owner: z.string(),
  purpose: z.string(),
  dataAccess: z.string(),
  risk: z.string(),
  model: z.string().nullable(),
  version: z.number().int(),
  status: z.enum(["active", "revoked"]),
  lastReviewedAt: epochMs.nullable(),
  reviewDueAt: epochMs.nullable(),
  reviewOverdue: z.boolean(),
  spentMicros: micros,
  breaker: z.string().nullable(),
});

export const grantRecord = z.object({
  id: z.string(),
  agent: z.string(),
  scope: z.string(),
  resource: z.string(),
  kind: z.string(),
  expiresAt: epochMs.nullable(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  runId: z.string().nullable(),
  stepKey: z.string().nullable(),
  createdAt: epochMs,
  revokedAt: epochMs.nullable(),
});

export const credentialRecord = z.object({ id: z.string(), agent: z.string(), prefix: z.string(), createdAt: epochMs, revokedAt: epochMs.nullable(), lastUsedAt: epochMs.nullable() });

export const issuedCredential = z.object({ id: z.string(), agent: z.string(), prefix: z.string(), secret: z.string().describe("shown this once: only its hash is kept") });

export const revokedCredentials = z.object({ agent: z.string(), revoked: z.number().int() });

export const accountSummary = z.object({ id: z.string(), kind: z.string(), balanceMicros: micros, reservedMicros: micros, spentMicros: micros });

export const fundResponse = z.object({ fundedMicros: micros, workflow: z.string().nullable(), runId: z.string().nullable(), accounts: z.array(accountSummary) });

export const spendRow = z.object({ key: z.string(), calls: z.number().int(), spentMicros: micros, inputTokens: z.number().int(), outputTokens: z.number().int() });

export const auditRecord = z.object({
  seq: z.number().int(),
  at: epochMs,
  kind: z.string(),
  runId: z.string().nullable(),
  stepKey: z.string().nullable(),
  workflow: z.string().nullable(),
  agent: z.string().nullable(),
  principal: z.string().nullable(),
  data: z.record(z.string(), anyJson),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditReport = z.looseObject({
  ok: z.boolean(),
  records: z.number().int(),
  head: z.string().nullable(),
  checkpoints: z.number().int(),
  unanchored: z.number().int(),
  problemCount: z.number().int(),
  problems: z.array(anyJson),
});

export const operatorKeyRecord = z.object({
  id: z.string(),
  operator: z.string(),
  role: z.enum(operatorRoles),
  prefix: z.string(),
  createdAt: epochMs,
  createdBy: z.string(),
  revokedAt: epochMs.nullable(),
  lastUsedAt: epochMs.nullable(),
});

export const issuedOperatorKey = z.object({ id: z.string(), operator: z.string(), role: z.enum(operatorRoles), prefix: z.string(), secret: z.string().describe("shown this once: only its hash is kept") });

export const revokedKeys = z.object({ revoked: z.array(z.string()) });

export const me = z.object({ name: z.string(), role: z.enum(operatorRoles) });

/** What every SSE message carries as its data (the SSE `event` field repeats `type`). */
export const runEventEnvelope = z.object({
  type: z.string().describe("run-start, run-end, step-start, step-end, approval-decided, ..."),
  runId: z.string(),
  stepKey: z.string().optional(),
  at: epochMs,
  data: z.record(z.string(), anyJson),
});
