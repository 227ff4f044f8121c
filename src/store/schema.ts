import type { ColumnType } from "kysely";

/**
 * The tables of a Cadre store. Both dialects hold the same schema: text for ids and JSON,
 * 64-bit integers for money (micro-units) and times (epoch milliseconds).
 */
export interface Database {
  cadre_meta: MetaTable;
  runs: RunsTable;
  steps: StepsTable;
  agents: AgentsTable;
  credentials: CredentialsTable;
  grants: GrantsTable;
  accounts: AccountsTable;
  holds: HoldsTable;
  ledger_entries: LedgerEntriesTable;
  audit_log: AuditLogTable;
  breakers: BreakersTable;
  board_entries: BoardEntriesTable;
  events: EventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  payloads: PayloadsTable;
  workers: WorkersTable;
  operator_keys: OperatorKeysTable;
  knowledge_collections: KnowledgeCollectionsTable;
  knowledge_documents: KnowledgeDocumentsTable;
  knowledge_chunks: KnowledgeChunksTable;
  policy_sets: PolicySetsTable;
  eval_runs: EvalRunsTable;
  eval_examples: EvalExamplesTable;
  x402_keys: X402KeysTable;
  x402_trusted_payers: X402TrustedPayersTable;
  x402_payments: X402PaymentsTable;
}

/** An agent's Ed25519 payment key pair (base64 DER: SPKI public, PKCS#8 private): it signs the IOUs the agent pays with. */
export interface X402KeysTable {
  agent: string;
  public_key: string;
  private_key: string;
  created_at: number;
}

/** A payer (an agent of another store) whose IOUs this store accepts, with the public key they must verify against. */
export interface X402TrustedPayersTable {
  payer: string;
  public_key: string;
  added_by: string;
  added_at: number;
}

/** An IOU this store was paid and settled: one row per (payer, nonce), so a payment settles once. */
export interface X402PaymentsTable {
  payer: string;
  nonce: string;
  pay_to: string;
  amount: number;
  resource: string;
  /** The sha256 of the request the payment was for: the same payment for another request is a replay. */
  request: string;
  transaction_id: string;
  settled_at: number;
}

/** Every policy set a runtime ran with; the active one's version is kept in cadre_meta (policy_version). */
export interface PolicySetsTable {
  version: string;
  /** JSON: the schema and files, path and text. */
  sources: string;
  /** JSON: each policy's id, file, line, effect and annotations. */
  policies: string;
  first_activated_at: number;
  activated_at: number;
  activated_by: string;
}

/** A worker process as its heartbeat last described it (labels and queues as JSON). */
export interface WorkersTable {
  id: string;
  host: string;
  pid: number;
  labels: string;
  queues: string;
  concurrency: number;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

/** A knowledge collection: its data-access level, embedding model, chunking and retention. */
export interface KnowledgeCollectionsTable {
  name: string;
  data_access: string;
  embedding_model: string | null;
  chunk_size: number;
  chunk_overlap: number;
  ttl_ms: number | null;
  created_at: number;
  updated_at: number;
}

/** One ingested file (or JSON line, or memory record) of a collection, by its source. */
export interface KnowledgeDocumentsTable {
  id: string;
  collection: string;
  source: string;
  content_hash: string;
  metadata: string;
  agent: string | null;
  principal: string | null;
  thread: string | null;
  chunk_count: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
}

/** A searchable piece of a document; on SQLite its text is also in the FTS5 table `knowledge_fts` (rowid = seq). */
export interface KnowledgeChunksTable {
  seq: ColumnType<number, never, never>;
  id: string;
  document_id: string;
  collection: string;
  ordinal: number;
  content: string;
  content_hash: string;
  embedding: string | null;
  embedding_model: string | null;
}

/** One `cadre eval`: a target scored over a labelled dataset (owner: evaluation/eval-records.ts). */
export interface EvalRunsTable {
  id: string;
  target: string;
  target_kind: "workflow" | "agent";
  dataset: string;
  dataset_sha256: string;
  field: string | null;
  scorer: string;
  /** JSON: agent name → the model ids its calls were charged under in this evaluation. */
  models: string;
  status: "running" | "completed" | "interrupted";
  examples: number;
  scored: number;
  correct: number;
  errors: number;
  min_accuracy: string | null;
  spent_micros: number;
  input_tokens: number;
  output_tokens: number;
  principal: string;
  started_at: number;
  ended_at: number | null;
}

/** One labelled example of an evaluation, with the run that answered it and how it scored. */
export interface EvalExamplesTable {
  eval_id: string;
  line: number;
  run_id: string | null;
  judge_run_id: string | null;
  input: string;
  expected: string;
  actual: string | null;
  /** The label compared for the confusion matrix (canonical JSON of the compared value). */
  predicted: string | null;
  correct: number;
  reason: string | null;
  error: string | null;
  spent_micros: number;
  input_tokens: number;
  output_tokens: number;
  duration_ms: number | null;
}

/** Large JSON values stored once by content; runs and steps columns reference them. */
export interface PayloadsTable {
  hash: string;
  data: string;
  size: number;
}

/** Signed anchors of the audit chain: (seq, hash, at) signed with a key kept outside the store. */
export interface AuditCheckpointsTable {
  seq: number;
  hash: string;
  at: number;
  /** Which public key verifies the signature (a fingerprint of it). */
  key_id: string;
  signature: string;
}

/** The run-scoped blackboard: versioned entries written with compare-and-set. */
export interface BoardEntriesTable {
  run_id: string;
  key: string;
  version: number;
  value: string;
  writer: string;
  written_at: number;
}

/** Durable pub/sub: published events, in order. */
export interface EventsTable {
  seq: ColumnType<number, never, never>;
  topic: string;
  data: string;
  source_run_id: string | null;
  created_at: number;
}

/** The last known state of each circuit breaker, for `cadre agents` (written on every change). */
export interface BreakersTable {
  name: string;
  state: string;
  changed_at: number;
  owner: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export type RunStatus = "pending" | "running" | "waiting" | "completed" | "partial" | "failed" | "cancelled";

export interface RunsTable {
  id: string;
  workflow: string;
  status: RunStatus;
  input: string;
  output: string | null;
  error: string | null;
  goal: string | null;
  principal: string;
  parent_run_id: string | null;
  parent_step_key: string | null;
  /** JSON list of grants a child run may use at most (null: no ceiling beyond its agents' grants). */
  grant_ceiling: string | null;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Fencing token: incremented by every acquisition of the lease. */
  lease_epoch: number;
  /** Labels (JSON) a worker must advertise to execute the run; null: any worker. */
  placement: string | null;
  /** Micro-units the run was given in all (its perRun or carve, plus `budget fund --run` top-ups). */
  budget: number;
  /** The W3C traceparent of the run's first span when tracing was on (null otherwise). */
  trace_context: string | null;
  /** The run this one was forked from (`cadre fork`), null for a run started afresh. */
  forked_from_run_id: string | null;
  /** The step of that run the fork re-executes from: the steps before it were copied. */
  fork_step_key: string | null;
  /** JSON list of the keys of the copied steps whose output the fork replaced. */
  fork_overrides: string | null;
}

export type StepStatus = "started" | "completed" | "failed" | "waiting";
export type StepType = "agent" | "step" | "tool" | "model" | "workflow" | "approval" | "sleep" | "event" | "signal";

export interface StepsTable {
  run_id: string;
  key: string;
  attempt: number;
  name: string;
  type: StepType;
  agent: string | null;
  status: StepStatus;
  input: string | null;
  output: string | null;
  error: string | null;
  idempotency_key: string;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
}

export interface AgentsTable {
  name: string;
  definition_hash: string;
  version: number;
  owner: string;
  purpose: string;
  data_access: string;
  risk: string;
  model: string | null;
  review_every_days: number | null;
  last_reviewed_at: number | null;
  status: "active" | "revoked";
  status_reason: string | null;
  status_changed_at: number | null;
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface CredentialsTable {
  id: string;
  agent: string;
  prefix: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Keys people and programs present to the HTTP API: a role each, only the secret's hash kept. */
export interface OperatorKeysTable {
  id: string;
  operator: string;
  /** viewer, approver, operator or admin. */
  role: string;
  prefix: string;
  secret_hash: string;
  created_at: number;
  /** The principal who issued the key. */
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface GrantsTable {
  id: string;
  agent: string;
  scope: string;
  resource: string;
  kind: "declared" | "jit" | "manual";
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
  run_id: string | null;
  step_key: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface AccountsTable {
  id: string;
  kind: "treasury" | "workflow" | "run" | "agent" | "agent-run" | "cap" | "revenue";
  name: string;
  run_id: string | null;
  agent: string | null;
  parent_id: string | null;
  balance: number;
  reserved: number;
  spent: number;
  created_at: number;
  closed_at: number | null;
}

export interface HoldsTable {
  id: string;
  reservation_id: string;
  account_id: string;
  amount: number;
  status: "open" | "settled" | "released";
  run_id: string | null;
  step_key: string | null;
  created_at: number;
  closed_at: number | null;
}

export interface LedgerEntriesTable {
  id: string;
  kind: "transfer" | "charge" | "fund";
  from_account: string | null;
  to_account: string | null;
  amount: number;
  run_id: string | null;
  step_key: string | null;
  agent: string | null;
  subject: string | null;
  units: string | null;
  created_at: number;
}

export interface AuditLogTable {
  seq: ColumnType<number, number, never>;
  at: number;
  kind: string;
  run_id: string | null;
  step_key: string | null;
  workflow: string | null;
  agent: string | null;
  principal: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

