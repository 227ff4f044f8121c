import { sql, type Kysely } from "kysely";

/** One forward-only schema change. Versions are dense and never reused. */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<void>;
}

const money = "bigint" as const;
const time = "bigint" as const;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "runs, journal, inventory, ledger, audit",
    async up(db, dialect) {
      await db.schema
        .createTable("runs")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("workflow", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("input", "text", (column) => column.notNull())
        .addColumn("output", "text")
        .addColumn("error", "text")
        .addColumn("goal", "text")
        .addColumn("principal", "text", (column) => column.notNull())
        .addColumn("parent_run_id", "text")
        .addColumn("parent_step_key", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .addColumn("ended_at", time)
        .addColumn("lease_owner", "text")
        .addColumn("lease_expires_at", time)
        .execute();
      await db.schema.createIndex("runs_by_status").on("runs").columns(["status", "created_at"]).execute();
      await db.schema.createIndex("runs_by_parent").on("runs").column("parent_run_id").execute();

      await db.schema
        .createTable("steps")
        .addColumn("run_id", "text", (column) => column.notNull())
        .addColumn("key", "text", (column) => column.notNull())
        .addColumn("attempt", "integer", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("type", "text", (column) => column.notNull())
        .addColumn("agent", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("input", "text")
        .addColumn("output", "text")
        .addColumn("error", "text")
        .addColumn("idempotency_key", "text", (column) => column.notNull())
        .addColumn("started_at", time, (column) => column.notNull())
        .addColumn("ended_at", time)
        .addColumn("duration_ms", "integer")
        .addPrimaryKeyConstraint("steps_pk", ["run_id", "key", "attempt"])
        .execute();
      // Only agent steps feed adaptive timeouts: tool and model steps need not maintain this index.
      await db.schema.createIndex("steps_by_agent").on("steps").columns(["agent", "status", "ended_at"]).where(sql.ref("type"), "=", "agent").execute();

      await db.schema
        .createTable("agents")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("definition_hash", "text", (column) => column.notNull())
        .addColumn("version", "integer", (column) => column.notNull())
        .addColumn("owner", "text", (column) => column.notNull())
        .addColumn("purpose", "text", (column) => column.notNull())
        .addColumn("data_access", "text", (column) => column.notNull())
        .addColumn("risk", "text", (column) => column.notNull())
        .addColumn("model", "text")
        .addColumn("review_every_days", "integer")
        .addColumn("last_reviewed_at", time)
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("status_reason", "text")
        .addColumn("status_changed_at", time)
        .addColumn("definition", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .execute();

      await db.schema
        .createTable("credentials")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("agent", "text", (column) => column.notNull())
        .addColumn("prefix", "text", (column) => column.notNull())
        .addColumn("secret_hash", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("revoked_at", time)
        .addColumn("last_used_at", time)
        .execute();
      await db.schema.createIndex("credentials_by_agent").on("credentials").column("agent").execute();

      await db.schema
        .createTable("grants")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("agent", "text", (column) => column.notNull())
        .addColumn("scope", "text", (column) => column.notNull())
        .addColumn("resource", "text", (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("expires_at", time)
        .addColumn("max_uses", "integer")
        .addColumn("uses", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("run_id", "text")
        .addColumn("step_key", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("revoked_at", time)
        .execute();
      await db.schema.createIndex("grants_by_agent").on("grants").columns(["agent", "scope"]).execute();

      await db.schema
        .createTable("accounts")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("run_id", "text")
        .addColumn("agent", "text")
        .addColumn("parent_id", "text")
        .addColumn("balance", money, (column) => column.notNull())
        .addColumn("reserved", money, (column) => column.notNull())
        .addColumn("spent", money, (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("closed_at", time)
        .execute();
      await db.schema.createIndex("accounts_by_run").on("accounts").column("run_id").execute();

      await db.schema
        .createTable("holds")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("reservation_id", "text", (column) => column.notNull())
        .addColumn("account_id", "text", (column) => column.notNull())
        .addColumn("amount", money, (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("run_id", "text")
        .addColumn("step_key", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("closed_at", time)
        .execute();
      await db.schema.createIndex("holds_by_reservation").on("holds").column("reservation_id").execute();
      await db.schema.createIndex("holds_by_status").on("holds").columns(["status", "run_id"]).execute();

      await db.schema
        .createTable("ledger_entries")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("from_account", "text")
        .addColumn("to_account", "text")
        .addColumn("amount", money, (column) => column.notNull())
        .addColumn("run_id", "text")
        .addColumn("step_key", "text")
        .addColumn("agent", "text")
        .addColumn("subject", "text")
        .addColumn("units", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("ledger_by_run").on("ledger_entries").column("run_id").execute();
      await db.schema.createIndex("ledger_by_agent").on("ledger_entries").columns(["agent", "created_at"]).execute();

      await db.schema
        .createTable("audit_log")
        // In SQLite an INTEGER PRIMARY KEY is the rowid itself: no extra index to write per record.
        .addColumn("seq", dialect === "sqlite" ? "integer" : "bigint", (column) => column.primaryKey())
        .addColumn("at", time, (column) => column.notNull())
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("run_id", "text")
        .addColumn("step_key", "text")
        .addColumn("workflow", "text")
        .addColumn("agent", "text")
        .addColumn("principal", "text")
        .addColumn("data", "text", (column) => column.notNull())
        .addColumn("prev_hash", "text", (column) => column.notNull())
        .addColumn("hash", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("audit_by_run").on("audit_log").column("run_id").execute();
    },
  },
  {
    version: 2,
    name: "circuit breaker states",
    async up(db) {
      await db.schema
        .createTable("breakers")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("changed_at", time, (column) => column.notNull())
        .addColumn("owner", "text", (column) => column.notNull())
        .execute();
    },
  },
  {
    version: 3,
    name: "blackboard entries and events",
    async up(db, dialect) {
      await db.schema
        .createTable("board_entries")
        .addColumn("run_id", "text", (column) => column.notNull())
        .addColumn("key", "text", (column) => column.notNull())
        .addColumn("version", "integer", (column) => column.notNull())
        .addColumn("value", "text", (column) => column.notNull())
        .addColumn("writer", "text", (column) => column.notNull())
        .addColumn("written_at", time, (column) => column.notNull())
        .addPrimaryKeyConstraint("board_entries_pk", ["run_id", "key"])
        .execute();
      await db.schema
        .createTable("events")
        .addColumn("seq", dialect === "sqlite" ? "integer" : "bigserial", (column) => (dialect === "sqlite" ? column.primaryKey().autoIncrement() : column.primaryKey()))
        .addColumn("topic", "text", (column) => column.notNull())
        .addColumn("data", "text", (column) => column.notNull())
        .addColumn("source_run_id", "text")
        .addColumn("created_at", time, (column) => column.notNull())
        .execute();
      await db.schema.createIndex("events_by_topic").on("events").columns(["topic", "seq"]).execute();
    },
  },
  {
    version: 4,
    name: "grant ceilings of child runs",
    async up(db) {
      await db.schema.alterTable("runs").addColumn("grant_ceiling", "text").execute();
    },
  },
  {
    version: 5,
    name: "fenced run ownership, run budgets, payloads stored once, signed audit checkpoints",
    async up(db, dialect) {
      // The fencing token: grows with every take-over; every write of a run checks it.
      await db.schema.alterTable("runs").addColumn("lease_epoch", "integer", (column) => column.notNull().defaultTo(0)).execute();
      // What the run was given (its perRun or carve, plus top-ups): a failed run is re-funded up to it when resumed.
      await db.schema.alterTable("runs").addColumn("budget", money, (column) => column.notNull().defaultTo(0)).execute();
      // Large JSON values, stored once by content (see payloads.ts).
      await db.schema
        .createTable("payloads")
        .addColumn("hash", "text", (column) => column.primaryKey())
        .addColumn("data", "text", (column) => column.notNull())
        .addColumn("size", "bigint", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("audit_checkpoints")
        .addColumn("seq", dialect === "sqlite" ? "integer" : "bigint", (column) => column.primaryKey())
        .addColumn("hash", "text", (column) => column.notNull())
        .addColumn("at", time, (column) => column.notNull())
        .addColumn("key_id", "text", (column) => column.notNull())
        .addColumn("signature", "text", (column) => column.notNull())
        .execute();
    },
  },
  {
    version: 6,
    name: "a run's trace context",
    async up(db) {
      // The W3C traceparent of the run's first span: its resumes and its child runs join that trace.
      await db.schema.alterTable("runs").addColumn("trace_context", "text").execute();
    },
  },
  {
    version: 7,
    name: "worker processes and shared circuit breakers",
    async up(db) {
      // One row per worker process (`cadre worker`), refreshed by its heartbeat; `cadre workers` reads it.
      await db.schema
        .createTable("workers")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("host", "text", (column) => column.notNull())
        .addColumn("pid", "integer", (column) => column.notNull())
        .addColumn("labels", "text", (column) => column.notNull())
        .addColumn("queues", "text", (column) => column.notNull())
        .addColumn("concurrency", "integer", (column) => column.notNull())
        .addColumn("started_at", time, (column) => column.notNull())
        .addColumn("heartbeat_at", time, (column) => column.notNull())
        .addColumn("stopped_at", time)
        .execute();
      // Labels a worker must advertise to execute the run (JSON), from its workflow's `placement`.
      await db.schema.alterTable("runs").addColumn("placement", "text").execute();
    },
  },
  {
    version: 8,
    name: "operator keys for the HTTP API",
    async up(db) {
      // Like agent credentials: only a hash of each secret is kept; the prefix finds the candidates.
      await db.schema
        .createTable("operator_keys")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("operator", "text", (column) => column.notNull())
        .addColumn("role", "text", (column) => column.notNull())
        .addColumn("prefix", "text", (column) => column.notNull())
        .addColumn("secret_hash", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("created_by", "text", (column) => column.notNull())
        .addColumn("revoked_at", time)
        .addColumn("last_used_at", time)
        .execute();
      await db.schema.createIndex("operator_keys_by_prefix").on("operator_keys").column("prefix").execute();
    },
  },
  {
    version: 9,
    name: "run lineage: the run and step a fork was started from",
    async up(db) {
      await db.schema.alterTable("runs").addColumn("forked_from_run_id", "text").execute();
      await db.schema.alterTable("runs").addColumn("fork_step_key", "text").execute();
      // JSON list of the copied steps whose output the fork replaced: a replay returns them as they are.
      await db.schema.alterTable("runs").addColumn("fork_overrides", "text").execute();
      await db.schema.createIndex("runs_by_fork_parent").on("runs").column("forked_from_run_id").execute();
    },
  },
  {
    version: 10,
    name: "knowledge collections, documents and chunks (full text, vectors), agent memory",
    async up(db, dialect) {
      await db.schema
        .createTable("knowledge_collections")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("data_access", "text", (column) => column.notNull())
        .addColumn("embedding_model", "text")
        .addColumn("chunk_size", "integer", (column) => column.notNull())
        .addColumn("chunk_overlap", "integer", (column) => column.notNull())
        .addColumn("ttl_ms", time)
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("knowledge_documents")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("collection", "text", (column) => column.notNull())
        .addColumn("source", "text", (column) => column.notNull())
        .addColumn("content_hash", "text", (column) => column.notNull())
        .addColumn("metadata", "text", (column) => column.notNull())
        // Memory records: who remembered it, for whom, in which conversation.
        .addColumn("agent", "text")
        .addColumn("principal", "text")
        .addColumn("thread", "text")
        .addColumn("chunk_count", "integer", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .addColumn("updated_at", time, (column) => column.notNull())
        .addColumn("expires_at", time)
        .execute();
      await db.schema.createIndex("knowledge_documents_by_source").unique().on("knowledge_documents").columns(["collection", "source"]).execute();
      await db.schema.createIndex("knowledge_documents_by_principal").on("knowledge_documents").columns(["principal", "collection"]).execute();
      await db.schema
        .createTable("knowledge_chunks")
        // An integer key: the full-text index (FTS5 rowid) refers to chunks by it.
        .addColumn("seq", dialect === "sqlite" ? "integer" : "bigserial", (column) => (dialect === "sqlite" ? column.primaryKey().autoIncrement() : column.primaryKey()))
        .addColumn("id", "text", (column) => column.notNull().unique())
        .addColumn("document_id", "text", (column) => column.notNull())
        .addColumn("collection", "text", (column) => column.notNull())
        .addColumn("ordinal", "integer", (column) => column.notNull())
        .addColumn("content", "text", (column) => column.notNull())
        .addColumn("content_hash", "text", (column) => column.notNull())
        // JSON array of floats: sqlite-vec reads it as a vector, pgvector casts it.
        .addColumn("embedding", "text")
        .addColumn("embedding_model", "text")
        .execute();
      await db.schema.createIndex("knowledge_chunks_by_document").on("knowledge_chunks").columns(["document_id", "ordinal"]).execute();
      await db.schema.createIndex("knowledge_chunks_by_collection").on("knowledge_chunks").column("collection").execute();
      if (dialect === "sqlite") {
        // Porter stemming: "pumps" finds "pump". The rowid is the chunk's seq.
        await sql`create virtual table knowledge_fts using fts5(content, tokenize = 'porter unicode61')`.execute(db);
      } else {
        await sql`alter table knowledge_chunks add column tsv tsvector generated always as (to_tsvector('english', content)) stored`.execute(db);
        await sql`create index knowledge_chunks_tsv on knowledge_chunks using gin (tsv)`.execute(db);
      }
    },
  },
  {
    version: 11,
    name: "policy sets",
    async up(db) {
      // Every policy set a runtime ran with, by version hash: its sources stay, so a past decision can be explained.
      await db.schema
        .createTable("policy_sets")
        .addColumn("version", "text", (column) => column.primaryKey())
        .addColumn("sources", "text", (column) => column.notNull())
        .addColumn("policies", "text", (column) => column.notNull())
        .addColumn("first_activated_at", time, (column) => column.notNull())
        .addColumn("activated_at", time, (column) => column.notNull())
        .addColumn("activated_by", "text", (column) => column.notNull())
        .execute();
    },
  },
  {
    version: 12,
    name: "evaluations of routers and agents over labelled datasets",
    async up(db) {
      await db.schema
        .createTable("eval_runs")
        .addColumn("id", "text", (column) => column.primaryKey())
        .addColumn("target", "text", (column) => column.notNull())
        .addColumn("target_kind", "text", (column) => column.notNull())
        .addColumn("dataset", "text", (column) => column.notNull())
        .addColumn("dataset_sha256", "text", (column) => column.notNull())
        .addColumn("field", "text")
        .addColumn("scorer", "text", (column) => column.notNull())
        .addColumn("models", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("examples", "integer", (column) => column.notNull())
        .addColumn("scored", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("correct", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("errors", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("min_accuracy", "text")
        .addColumn("spent_micros", money, (column) => column.notNull().defaultTo(0))
        .addColumn("input_tokens", "bigint", (column) => column.notNull().defaultTo(0))
        .addColumn("output_tokens", "bigint", (column) => column.notNull().defaultTo(0))
        .addColumn("principal", "text", (column) => column.notNull())
        .addColumn("started_at", time, (column) => column.notNull())
        .addColumn("ended_at", time)
        .execute();
      await db.schema.createIndex("eval_runs_by_target").on("eval_runs").columns(["target", "started_at"]).execute();
      await db.schema
        .createTable("eval_examples")
        .addColumn("eval_id", "text", (column) => column.notNull())
        .addColumn("line", "integer", (column) => column.notNull())
        .addColumn("run_id", "text")
        .addColumn("judge_run_id", "text")
        .addColumn("input", "text", (column) => column.notNull())
        .addColumn("expected", "text", (column) => column.notNull())
        .addColumn("actual", "text")
        .addColumn("predicted", "text")
        .addColumn("correct", "integer", (column) => column.notNull())
        .addColumn("reason", "text")
        .addColumn("error", "text")
        .addColumn("spent_micros", money, (column) => column.notNull())
        .addColumn("input_tokens", "bigint", (column) => column.notNull())
        .addColumn("output_tokens", "bigint", (column) => column.notNull())
        .addColumn("duration_ms", "bigint")
        .addPrimaryKeyConstraint("eval_examples_pk", ["eval_id", "line"])
        .execute();
    },
  },
  {
    version: 13,
    name: "x402 payments: agents' payment keys, trusted payers' keys, payments received",
    async up(db) {
      await db.schema
        .createTable("x402_keys")
        .addColumn("agent", "text", (column) => column.primaryKey())
        .addColumn("public_key", "text", (column) => column.notNull())
        .addColumn("private_key", "text", (column) => column.notNull())
        .addColumn("created_at", time, (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("x402_trusted_payers")
        .addColumn("payer", "text", (column) => column.primaryKey())
        .addColumn("public_key", "text", (column) => column.notNull())
        .addColumn("added_by", "text", (column) => column.notNull())
        .addColumn("added_at", time, (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("x402_payments")
        .addColumn("payer", "text", (column) => column.notNull())
        .addColumn("nonce", "text", (column) => column.notNull())
        .addColumn("pay_to", "text", (column) => column.notNull())
        .addColumn("amount", money, (column) => column.notNull())
        .addColumn("resource", "text", (column) => column.notNull())
        .addColumn("request", "text", (column) => column.notNull())
        .addColumn("transaction_id", "text", (column) => column.notNull())
        .addColumn("settled_at", time, (column) => column.notNull())
        .addPrimaryKeyConstraint("x402_payments_pk", ["payer", "nonce"])
        .execute();
    },
  },
  {
    version: 14,
    name: "PostgreSQL: a budget refusal raised by the statement that holds the money",
    async up(db, dialect) {
      if (dialect !== "postgres") return;
      // Raising (instead of answering "no row updated") aborts the transaction inside the
      // database, so its COMMIT can be sent without waiting for the hold's answer: the
      // account row stays locked one round trip less. Volatile, so the planner never
      // evaluates it ahead of time; it reads the account anew for the refusal's figures.
      await sql`
        create or replace function cadre_refuse_hold(refused_account text, asked bigint) returns integer
        language plpgsql volatile as $refuse$
        declare
          held_balance bigint;
          held_reserved bigint;
        begin
          select balance, reserved into held_balance, held_reserved from accounts where id = refused_account;
          raise exception 'budget refused: % cannot cover %', refused_account, asked
            using errcode = 'CB001', detail = json_build_object('balance', coalesce(held_balance, 0), 'reserved', coalesce(held_reserved, 0))::text;
        end
        $refuse$`.execute(db);
    },
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]!.version;

/** Used by the dialects to detect the empty database that a fresh store starts from. */
export const metaTableDdl = sql`create table if not exists cadre_meta (key text primary key, value text not null)`;
