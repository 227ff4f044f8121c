import { sql, type Transaction } from "kysely";
import { InternalError, toCadreError, type CadreError, type SerializedError } from "../errors.ts";
import { compiledQuery } from "../store/compiled-query.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import { decodePayloads, defaultMaxPayloadBytes, encodePayload, storePayload } from "../store/payloads.ts";
import type { Database, StepStatus, StepType } from "../store/schema.ts";
import { send, type Db, type Store } from "../store/store.ts";
import type { RunLease } from "./run-lease.ts";
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

/** What is known of an attempt when it begins. */
export type NewAttempt = Pick<JournalEntry, "key" | "attempt" | "name" | "type" | "agent" | "input" | "idempotencyKey" | "startedAt">;

/** Extra writes that must commit atomically with a journal write (ledger holds, audit). */
export type InTransaction = (tx: Transaction<Database>) => Promise<void>;

export interface JournalOptions {
  /** The fence of the process that owns the run: every write checks it in its own transaction. Absent for read-only use. */
  lease?: RunLease;
  /** The largest input or output a step may journal (default 8 MiB). */
  maxPayloadBytes?: number;
  /** A replay's journal: reads only; any write is a bug and throws. */
  readOnly?: boolean;
}

type StepRow = { [K in keyof Database["steps"]]: Database["steps"][K] };

// The journal's two hot statements, compiled once per dialect (Kysely would rebuild them on every step).
const insertStep = compiledQuery((db, row: StepRow) =>
  db.insertInto("steps").values({
    run_id: row.run_id,
    key: row.key,
    attempt: row.attempt,
    name: row.name,
    type: row.type,
    agent: row.agent,
    status: row.status,
    input: row.input,
    output: row.output,
    error: row.error,
    idempotency_key: row.idempotency_key,
    started_at: row.started_at,
    ended_at: row.ended_at,
    duration_ms: row.duration_ms,
  }),
);
const endStep = compiledQuery((db, end: { runId: string; key: string; attempt: number; status: StepStatus; output: string | null; error: string | null; endedAt: number; durationMs: number }) =>
  db
    .updateTable("steps")
    .set({ status: end.status, output: end.output, error: end.error, ended_at: end.endedAt, duration_ms: end.durationMs })
    .where("run_id", "=", end.runId)
    .where("key", "=", end.key)
    .where("attempt", "=", end.attempt),
);

/** Steps whose input other modules read straight from the table (waits, approvals): always stored inline. */
const inlineTypes: ReadonlySet<StepType> = new Set(["approval", "event", "signal"]);

/**
 * The per-run step log. Reads happen once, when the run (re)starts. Writes go through the
 * store's group commit together with whatever governance must commit with them. `started`
 * is awaited: it is durable before the effect runs. `ended` is written behind: the workflow
 * goes on at once and the write commits in order before any later write of the run, so no
 * later effect can run before it is durable; `flush` waits for it and reports a failure.
 */
export class Journal {
  readonly runId: string;
  readonly #store: Store;
  readonly #lease: RunLease | undefined;
  readonly #maxPayloadBytes: number;
  readonly #readOnly: boolean;
  readonly #byPosition: Map<string, JournalEntry>;
  readonly #writesBehind = new Set<Promise<void>>();
  #writeFailure: unknown;

  private constructor(store: Store, runId: string, entries: JournalEntry[], options: JournalOptions) {
    this.#store = store;
    this.#lease = options.lease;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? defaultMaxPayloadBytes;
    this.#readOnly = options.readOnly ?? false;
    this.runId = runId;
    this.#byPosition = new Map(entries.map((entry) => [positionOf(entry.key), entry]));
  }

  static async load(store: Store, runId: string, options: JournalOptions = {}): Promise<Journal> {
    const rows = await store.db.selectFrom("steps").selectAll().where("run_id", "=", runId).orderBy("attempt").execute();
    const values = await decodePayloads(store.db, rows.flatMap((row) => [row.input, row.output]));
    // Rows come in attempt order, so the last one written per key is the latest attempt.
    const latest = new Map<string, JournalEntry>();
    for (const [index, row] of rows.entries()) {
      latest.set(row.key, {
        key: row.key,
        attempt: row.attempt,
        name: row.name,
        type: row.type,
        agent: row.agent,
        status: row.status,
        input: values[2 * index],
        output: values[2 * index + 1],
        error: decodeJson<SerializedError>(row.error),
        idempotencyKey: row.idempotency_key,
        startedAt: Number(row.started_at),
        endedAt: row.ended_at === null ? null : Number(row.ended_at),
        durationMs: row.duration_ms,
      });
    }
    return new Journal(store, runId, [...latest.values()], options);
  }

  static empty(store: Store, runId: string, options: JournalOptions = {}): Journal {
    return new Journal(store, runId, [], options);
  }

  /** JSON for a step's input or output, refused over the payload limit. */
  #encode(value: unknown, what: string, key: string): string | null {
    return encodePayload(value, this.#maxPayloadBytes, () => ({ what: `The ${what} of step ${key}`, runId: this.runId, stepKey: key }));
  }

  /** A large value is stored once by content, except for the steps other modules read inline. */
  #stored(tx: Transaction<Database>, type: StepType, text: string | null): Promise<string | null> | string | null {
    return inlineTypes.has(type) ? text : storePayload(tx, text);
  }

  /** Group-committed and, for an owned run, fenced: throws RUN_LEASE_LOST once another process owns the run. */
  #write(work: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    if (this.#readOnly) return Promise.reject(this.#readOnlyError());
    return this.#lease ? this.#lease.write(work) : this.#store.write(work);
  }

  at(position: string): JournalEntry | undefined {
    return this.#byPosition.get(position);
  }

  entries(): JournalEntry[] {
    return [...this.#byPosition.values()];
  }

  /** The steps in the order they began (ties, as in a parallel fan-out, broken by key). */
  inJournalOrder(): JournalEntry[] {
    return this.entries().sort((a, b) => a.startedAt - b.startedAt || compareStepKeys(a.key, b.key));
  }

  #readOnlyError(): InternalError {
    return new InternalError({ message: `The journal of run ${this.runId} is read-only here (a replay): nothing may be written to it.`, runId: this.runId });
  }

  async started(entry: NewAttempt, inTransaction?: InTransaction): Promise<void> {
    if (this.#readOnly) throw this.#readOnlyError();
    if (this.#writeFailure !== undefined) throw this.#writeFailure;
    const input = this.#encode(entry.input, "input", entry.key);
    await this.#write(async (tx) => {
      if (inTransaction) await inTransaction(tx);
      // Sent without waiting for its answer: it travels with the transaction's next statement (see store.ts `send`).
      await send(tx, insertStep(tx, this.#row(entry, await this.#stored(tx, entry.type, input), { status: "started" })));
    });
    this.#byPosition.set(positionOf(entry.key), { ...entry, status: "started", output: undefined, error: undefined, endedAt: null, durationMs: null });
  }

  #row(entry: NewAttempt, input: string | null, outcome: { status: "started" } | { status: "failed"; error: SerializedError }): StepRow {
    const refused = outcome.status === "failed";
    return {
      run_id: this.runId,
      key: entry.key,
      attempt: entry.attempt,
      name: entry.name,
      type: entry.type,
      agent: entry.agent,
      status: outcome.status,
      input,
      output: null,
      error: refused ? encodeJson(outcome.error) : null,
      idempotency_key: entry.idempotencyKey,
      started_at: entry.startedAt,
      ended_at: refused ? entry.startedAt : null,
      duration_ms: refused ? 0 : null,
    };
  }

  /** Records an attempt that was refused before its effect could run (failed, never started). */
  async refused(entry: NewAttempt, error: SerializedError, inTransaction?: InTransaction): Promise<void> {
    // An input refused for its size is not journaled: the error says what it was.
    const input = error.code === "PAYLOAD_TOO_LARGE" ? null : this.#encode(entry.input, "input", entry.key);
    await this.#write(async (tx) => {
      await insertStep(tx, this.#row(entry, await this.#stored(tx, entry.type, input), { status: "failed", error }));
      if (inTransaction) await inTransaction(tx);
    });
    this.#byPosition.set(positionOf(entry.key), { ...entry, status: "failed", output: undefined, error, endedAt: entry.startedAt, durationMs: 0 });
  }

  /**
   * Records the end of an attempt (`completed` with its output, `failed` with its error, or
   * `waiting`), written behind. An output over the payload limit is journaled as a failure
   * instead, and that error is returned for the caller to throw.
   */
  ended(
    key: string,
    ending: { status: Exclude<StepStatus, "started">; output?: unknown; error?: SerializedError; endedAt: number },
    inTransaction?: InTransaction,
  ): CadreError | undefined {
    if (this.#readOnly) throw this.#readOnlyError();
    const entry = this.#byPosition.get(positionOf(key));
    if (!entry || entry.key !== key) throw new InternalError({ message: `Step ${key} of run ${this.runId} ended but was never journaled as started.` });
    const durationMs = ending.endedAt - entry.startedAt;
    let outcome = ending;
    let output: string | null = null;
    let refused: CadreError | undefined;
    try {
      output = this.#encode(ending.output, "output", key);
    } catch (error) {
      refused = toCadreError(error);
      outcome = { status: "failed", error: refused.toJSON(), endedAt: ending.endedAt };
    }
    const write = this.#write(async (tx) => {
      await send(
        tx,
        endStep(tx, {
          runId: this.runId,
          key,
          attempt: entry.attempt,
          status: outcome.status,
          output: await this.#stored(tx, entry.type, output),
          error: encodeJson(outcome.error),
          endedAt: outcome.endedAt,
          durationMs,
        }),
      );
      if (inTransaction) await inTransaction(tx);
    });
    const tracked: Promise<void> = write.then(
      () => void this.#writesBehind.delete(tracked),
      (error: unknown) => {
        this.#writeFailure ??= error;
        this.#writesBehind.delete(tracked);
      },
    );
    this.#writesBehind.add(tracked);
    Object.assign(entry, { status: outcome.status, output: outcome.output, error: outcome.error, endedAt: outcome.endedAt, durationMs });
    return refused;
  }

  /** Waits for the writes behind; throws the first that failed. */
  async flush(): Promise<void> {
    await Promise.all(this.#writesBehind);
    if (this.#writeFailure !== undefined) throw this.#writeFailure;
  }
}

/**
 * Seeds a new run's journal with copies of another run's completed steps (a fork): the same
 * keys, names, inputs and outputs, under the new run's id and idempotency keys, except the
 * outputs given in `outputs`, which replace the copied ones. Stored payloads are shared, not copied.
 */
export async function copySteps(
  tx: Transaction<Database>,
  copy: { fromRunId: string; toRunId: string; keys: readonly string[]; outputs: ReadonlyMap<string, unknown>; idempotencyKey(key: string): string; maxPayloadBytes?: number },
): Promise<void> {
  if (copy.keys.length === 0) return;
  const rows = await tx.selectFrom("steps").selectAll().where("run_id", "=", copy.fromRunId).where("key", "in", [...copy.keys]).where("status", "=", "completed").orderBy("attempt").execute();
  // The latest completed attempt of each key (rows come in attempt order).
  const latest = new Map(rows.map((row) => [row.key, row]));
  for (const key of copy.keys) {
    const row = latest.get(key);
    if (!row) throw new InternalError({ message: `Step ${key} of run ${copy.fromRunId} is not completed and cannot be copied into run ${copy.toRunId}.`, runId: copy.fromRunId, stepKey: key });
    let output = row.output;
    if (copy.outputs.has(key)) {
      const text = encodePayload(copy.outputs.get(key), copy.maxPayloadBytes ?? defaultMaxPayloadBytes, () => ({ what: `The overridden output of step ${key}`, runId: copy.toRunId, stepKey: key }));
      output = inlineTypes.has(row.type) ? text : await storePayload(tx, text);
    }
    await insertStep(tx, { ...row, run_id: copy.toRunId, output, idempotency_key: copy.idempotencyKey(key) });
  }
}

/** Orders step keys as a tree: by position segment (numbers numerically), a parent before the steps inside it. */
export function compareStepKeys(a: string, b: string): number {
  const parse = (key: string) => positionOf(key).split(/[/.]/).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index]!;
    const y = right[index]!;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "number") return -1;
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** A step parked until a person or an event answers it, with its input as journaled (inline for these types). */
export interface WaitingStep {
  runId: string;
  key: string;
  name: string;
  type: StepType;
  input: unknown;
  startedAt: number;
}

/** The steps of the given types parked as `waiting`, oldest first; in the given runs only, when `runIds` is set; named `name` only, when it is set. */
export async function waitingSteps(db: Db, options: { types: StepType[]; runIds?: readonly string[]; name?: string }): Promise<WaitingStep[]> {
  let query = db.selectFrom("steps").select(["run_id", "key", "name", "type", "input", "started_at"]).where("status", "=", "waiting").where("type", "in", options.types).orderBy("started_at").orderBy("run_id").orderBy("key");
  if (options.runIds) query = query.where("run_id", "in", options.runIds.length > 0 ? [...options.runIds] : [""]);
  if (options.name !== undefined) query = query.where("name", "=", options.name);
  const rows = await query.execute();
  return rows.map((row) => ({ runId: row.run_id, key: row.key, name: row.name, type: row.type, input: decodeJson(row.input), startedAt: Number(row.started_at) }));
}

/** The latest attempt of the step named `name` in a run with `status` (the most recently ended first), if any: for the step types stored inline (approvals, events, signals). */
export async function findStepByName(db: Db, options: { runId: string; name: string; status: StepStatus }): Promise<{ key: string; attempt: number; output: unknown } | undefined> {
  const row = await db
    .selectFrom("steps")
    .select(["key", "attempt", "output"])
    .where("run_id", "=", options.runId)
    .where("name", "=", options.name)
    .where("status", "=", options.status)
    .orderBy("ended_at", "desc")
    .orderBy("started_at", "desc")
    .executeTakeFirst();
  return row ? { key: row.key, attempt: row.attempt, output: decodeJson(row.output) } : undefined;
}

/** Completes a waiting step from outside its run (a person's decision), with the decision as its output. */
export async function completeWaitingStep(db: Db, options: { runId: string; key: string; attempt: number; output: unknown; at: number }): Promise<void> {
  await db
    .updateTable("steps")
    .set({ status: "completed", output: encodeJson(options.output), ended_at: options.at })
    .where("run_id", "=", options.runId)
    .where("key", "=", options.key)
    .where("attempt", "=", options.attempt)
    .where("status", "=", "waiting")
    .execute();
}

/** The status one attempt of a step has in the store now (another process may have changed it since this journal was read). */
export async function storedStepStatus(db: Db, step: { runId: string; key: string; attempt: number }): Promise<StepStatus | undefined> {
  const row = await db.selectFrom("steps").select("status").where("run_id", "=", step.runId).where("key", "=", step.key).where("attempt", "=", step.attempt).executeTakeFirst();
  return row?.status;
}

/** How long the agent's latest completed calls took (ms), newest first, at most `limit` of them, across every run. */
export async function recentAgentCallDurations(db: Db, agent: string, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom("steps")
    .select("duration_ms")
    .where("agent", "=", agent)
    .where("status", "=", "completed")
    .where("type", "=", sql.lit("agent")) // a literal, so SQLite can use the partial index on agent steps
    .orderBy("ended_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => Number(row.duration_ms ?? 0));
}

/** Ends every step of a run still waiting (for a person, an event, a signal) as failed with `error`: a cancelled run waits for nothing. Returns how many. */
export async function failWaitingSteps(db: Db, options: { runId: string; error: SerializedError; at: number }): Promise<number> {
  const result = await db
    .updateTable("steps")
    .set({ status: "failed", error: encodeJson(options.error), ended_at: options.at })
    .where("run_id", "=", options.runId)
    .where("status", "=", "waiting")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
