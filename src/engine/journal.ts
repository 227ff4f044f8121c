import type { Transaction } from "kysely";
import type { SerializedError } from "../errors.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import type { Database, StepStatus, StepType } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { positionOf } from "./scope.ts";

/** The latest attempt of one step as the journal holds it. */
export interface JournalEntry {
  key: string;
  attempt: number;
  name: string;
  type: StepType;
  agent: string | null;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: SerializedError | undefined;
  idempotencyKey: string;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
}

/** Extra writes that must commit atomically with a journal write (ledger holds, audit). */
export type InTransaction = (tx: Transaction<Database>) => Promise<void>;

/**
 * The per-run step log. Reads happen once, when the run (re)starts; every write goes to the
 * store in its own transaction together with whatever governance needs to commit with it.
 */
export class Journal {
  readonly runId: string;
  readonly #store: Store;
  readonly #byPosition: Map<string, JournalEntry>;

  private constructor(store: Store, runId: string, entries: JournalEntry[]) {
    this.#store = store;
    this.runId = runId;
    this.#byPosition = new Map(entries.map((entry) => [positionOf(entry.key), entry]));
  }

  static async load(store: Store, runId: string): Promise<Journal> {
    const rows = await store.db.selectFrom("steps").selectAll().where("run_id", "=", runId).orderBy("attempt").execute();
    // Rows come in attempt order, so the last one written per key is the latest attempt.
    const latest = new Map<string, JournalEntry>();
    for (const row of rows) {
      latest.set(row.key, {
        key: row.key,
        attempt: row.attempt,
        name: row.name,
        type: row.type,
        agent: row.agent,
        status: row.status,
        input: decodeJson(row.input),
        output: decodeJson(row.output),
        error: decodeJson<SerializedError>(row.error),
        idempotencyKey: row.idempotency_key,
        startedAt: Number(row.started_at),
        endedAt: row.ended_at === null ? null : Number(row.ended_at),
        durationMs: row.duration_ms,
      });
    }
    return new Journal(store, runId, [...latest.values()]);
  }

  static empty(store: Store, runId: string): Journal {
    return new Journal(store, runId, []);
  }

  at(position: string): JournalEntry | undefined {
    return this.#byPosition.get(position);
  }

  entries(): JournalEntry[] {
    return [...this.#byPosition.values()];
  }

  async started(
    entry: Pick<JournalEntry, "key" | "attempt" | "name" | "type" | "agent" | "input" | "idempotencyKey" | "startedAt">,
    inTransaction?: InTransaction,
  ): Promise<void> {
    const record: JournalEntry = { ...entry, status: "started", output: undefined, error: undefined, endedAt: null, durationMs: null };
    await this.#store.transaction(async (tx) => {
      if (inTransaction) await inTransaction(tx);
      await tx
        .insertInto("steps")
        .values({
          run_id: this.runId,
          key: entry.key,
          attempt: entry.attempt,
          name: entry.name,
          type: entry.type,
          agent: entry.agent,
          status: "started",
          input: encodeJson(entry.input),
          output: null,
          error: null,
          idempotency_key: entry.idempotencyKey,
          started_at: entry.startedAt,
          ended_at: null,
          duration_ms: null,
        })
        .execute();
    });
    this.#byPosition.set(positionOf(entry.key), record);
  }

  /** Records the end of an attempt: `completed` with its output, `failed` with its error, or `waiting`. */
  async ended(
    key: string,
    outcome: { status: Exclude<StepStatus, "started">; output?: unknown; error?: SerializedError; endedAt: number },
    inTransaction?: InTransaction,
  ): Promise<void> {
    const entry = this.#byPosition.get(positionOf(key));
    if (!entry || entry.key !== key) throw new Error(`journal: step ${key} was never started`);
    const durationMs = outcome.endedAt - entry.startedAt;
    await this.#store.transaction(async (tx) => {
      await tx
        .updateTable("steps")
        .set({
          status: outcome.status,
          output: encodeJson(outcome.output),
          error: encodeJson(outcome.error),
          ended_at: outcome.endedAt,
          duration_ms: durationMs,
        })
        .where("run_id", "=", this.runId)
        .where("key", "=", key)
        .where("attempt", "=", entry.attempt)
        .execute();
      if (inTransaction) await inTransaction(tx);
    });
    Object.assign(entry, { status: outcome.status, output: outcome.output, error: outcome.error, endedAt: outcome.endedAt, durationMs });
  }
}
