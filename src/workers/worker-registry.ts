import type { Db } from "../store/store.ts";

/** A worker process as `cadre workers` shows it. */
export interface WorkerRecord {
  /** The worker's owner id (`host:pid:id`): what it writes as the lease owner of the runs it holds. */
  id: string;
  host: string;
  pid: number;
  labels: Record<string, string>;
  queues: string[];
  concurrency: number;
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
  /** Runs whose lease it holds now. */
  runsHeld: number;
}

export async function registerWorker(db: Db, worker: Omit<WorkerRecord, "heartbeatAt" | "stoppedAt" | "runsHeld">): Promise<void> {
  const row = {
    id: worker.id,
    host: worker.host,
    pid: worker.pid,
    labels: JSON.stringify(worker.labels),
    queues: JSON.stringify(worker.queues),
    concurrency: worker.concurrency,
    started_at: worker.startedAt,
    heartbeat_at: worker.startedAt,
    stopped_at: null,
  };
  await db.insertInto("workers").values(row).onConflict((conflict) => conflict.column("id").doUpdateSet(row)).execute();
}

export async function heartbeatWorker(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable("workers").set({ heartbeat_at: now }).where("id", "=", id).execute();
}

export async function markWorkerStopped(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable("workers").set({ stopped_at: now, heartbeat_at: now }).where("id", "=", id).execute();
}

/**
 * Workers heard from within `liveWithinMs` that have not stopped, with the runs each holds.
 * A worker killed with `kill -9` drops out once its heartbeat is that old.
 */
export async function listLiveWorkers(db: Db, options: { now: number; liveWithinMs: number }): Promise<WorkerRecord[]> {
  const rows = await db
    .selectFrom("workers")
    .selectAll("workers")
    .select((eb) =>
      eb
        .selectFrom("runs")
        .select((count) => count.fn.countAll<number>().as("held"))
        .whereRef("runs.lease_owner", "=", "workers.id")
        .where("runs.status", "=", "running")
        .as("runs_held"),
    )
    .where("stopped_at", "is", null)
    .where("heartbeat_at", ">=", options.now - options.liveWithinMs)
    .orderBy("started_at")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    host: row.host,
    pid: Number(row.pid),
    labels: JSON.parse(row.labels) as Record<string, string>,
    queues: JSON.parse(row.queues) as string[],
    concurrency: Number(row.concurrency),
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    stoppedAt: row.stopped_at === null ? null : Number(row.stopped_at),
    runsHeld: Number(row.runs_held ?? 0),
  }));
}
