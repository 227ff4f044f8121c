/**
 * What the API answers: documented in /api/openapi.json, and the tests parse real answers with them.
 */
import { z } from "zod";
import { errorCatalog, type ErrorCode } from "../errors.ts";
import { operatorRoles } from "../governance/operator-keys.ts";
import { runStatuses } from "../operator/runs.ts";
import { epochMs, micros } from "./request-schemas.ts";

const anyJson = z.unknown();

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
