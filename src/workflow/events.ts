import { idempotencyKeyFor } from "../engine/ids.ts";
import { waitingSteps } from "../engine/journal.ts";
import { decodeJson, encodeJson } from "../store/json.ts";
import type { Db } from "../store/store.ts";

/** An event on the durable log; `seq` orders the log. */
export interface PublishedEvent {
  topic: string;
  data: unknown;
  seq: number;
}

/** Appends an event to the durable log and returns its sequence number. */
export async function appendEvent(db: Db, options: { topic: string; data: unknown; sourceRunId?: string | null; now: number }): Promise<number> {
  const row = await db
    .insertInto("events")
    .values({ topic: options.topic, data: encodeJson(options.data) ?? "null", source_run_id: options.sourceRunId ?? null, created_at: options.now })
    .returning("seq")
    .executeTakeFirstOrThrow();
  return Number(row.seq);
}

/** The sequence number of the newest event (0 when the log is empty): a waiter's cursor. */
export async function latestEventSeq(db: Db): Promise<number> {
  const row = await db.selectFrom("events").select((eb) => eb.fn.max("seq").as("seq")).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/** The first event on `topic` after the cursor `afterSeq`, if any. */
export async function firstEventAfter(db: Db, topic: string, afterSeq: number): Promise<{ data: unknown; seq: number } | undefined> {
  const row = await db.selectFrom("events").select(["data", "seq"]).where("topic", "=", topic).where("seq", ">", afterSeq).orderBy("seq").limit(1).executeTakeFirst();
  return row ? { data: decodeJson(row.data), seq: Number(row.seq) } : undefined;
}

/** Runs parked waiting for an event on `topic` that the event `seq` answers (their wait began before it). */
export async function runsWaitingFor(db: Db, topic: string, seq: number): Promise<string[]> {
  const waits = await waitingSteps(db, { types: ["event"], name: `wait:${topic}` });
  const answered = waits.filter((wait) => Number((wait.input as { afterSeq?: number } | undefined)?.afterSeq ?? 0) < seq);
  return [...new Set(answered.map((wait) => wait.runId))];
}

/**
 * The run id a subscribed workflow gets for one event: derived from the event, so delivering
 * the same event twice (a replayed `ctx.emit`, two runtimes) starts the subscriber once.
 */
export function subscriberRunId(seq: number, workflow: string): string {
  return `run_${idempotencyKeyFor(`event:${seq}`, workflow).slice(0, 24)}`;
}
