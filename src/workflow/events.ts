import { decodeJson, encodeJson } from "../store/json.ts";
import type { Db } from "../store/store.ts";

/** Appends an event to the durable log. */
export async function appendEvent(db: Db, options: { topic: string; data: unknown; sourceRunId?: string | null; now: number }): Promise<void> {
  await db.insertInto("events").values({ topic: options.topic, data: encodeJson(options.data) ?? "null", source_run_id: options.sourceRunId ?? null, created_at: options.now }).execute();
}

/** The first event on `topic` published at or after `since`, if any. */
export async function firstEventSince(db: Db, topic: string, since: number): Promise<{ data: unknown } | undefined> {
  const row = await db.selectFrom("events").select(["data"]).where("topic", "=", topic).where("created_at", ">=", since).orderBy("seq").limit(1).executeTakeFirst();
  return row ? { data: decodeJson(row.data) } : undefined;
}

/** Runs parked waiting for an event on `topic`. */
export async function runsWaitingFor(db: Db, topic: string): Promise<string[]> {
  const rows = await db.selectFrom("steps").select("run_id").distinct().where("type", "=", "event").where("name", "=", `wait:${topic}`).where("status", "=", "waiting").execute();
  return rows.map((row) => row.run_id);
}
