import type { Db } from "../store/store.ts";
import { runTreeIds } from "../engine/run-records.ts";

/** Something a parked run waits for: a person's decision or a published event. */
export type Wait = { kind: "approval"; runId: string; name: string } | { kind: "event"; runId: string; topic: string };

/** What a waiting run (or a child run it waits on) is waiting for. */
export async function waitsOf(db: Db, runId: string): Promise<Wait[]> {
  const rows = await db
    .selectFrom("steps")
    .select(["run_id", "name", "type"])
    .where("run_id", "in", await runTreeIds(db, runId))
    .where("status", "=", "waiting")
    .where("type", "in", ["approval", "event"])
    .orderBy("started_at")
    .execute();
  return rows.map((row) =>
    row.type === "approval" ? { kind: "approval", runId: row.run_id, name: row.name.replace(/^approval:/, "") } : { kind: "event", runId: row.run_id, topic: row.name.replace(/^wait:/, "") },
  );
}
