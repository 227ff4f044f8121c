import { storedStepStatus, type Journal } from "../engine/journal.ts";
import { getRunRecord } from "../engine/run-records.ts";
import type { RunStatus } from "../store/schema.ts";
import type { Db } from "../store/store.ts";
import { firstEventAfter } from "./events.ts";

/**
 * The outermost run waiting on `runId`: a child's wait parks its parent (and the parent's
 * parent...), so a decision or event for the child must resume the top of that chain, which
 * resumes the child through its waiting step.
 */
export async function waitingRoot(db: Db, runId: string): Promise<string> {
  let current = await getRunRecord(db, runId);
  while (current?.parentRunId) {
    const parent = await getRunRecord(db, current.parentRunId);
    if (parent?.status !== "waiting") break;
    current = parent;
  }
  return current?.id ?? runId;
}

/**
 * Whether a run that just parked already has an answer: an event published, a decision
 * recorded or a child run finished while it was parking. Publishers only wake runs that are
 * parked, so without this check an answer arriving during the parking would be missed.
 */
export async function answeredWhileParked(db: Db, journal: Journal): Promise<boolean> {
  const childRunIds: string[] = [];
  for (const entry of journal.entries()) {
    if (entry.status !== "waiting") continue;
    const input = (entry.input ?? {}) as { topic?: string; afterSeq?: number; runId?: string };
    if (entry.type === "event" && input.topic !== undefined) {
      if (await firstEventAfter(db, input.topic, input.afterSeq ?? 0)) return true;
    } else if (entry.type === "workflow" && input.runId) {
      childRunIds.push(input.runId);
    } else {
      const status = await storedStepStatus(db, { runId: journal.runId, key: entry.key, attempt: entry.attempt });
      if (status !== undefined && status !== "waiting") return true;
    }
  }
  return childrenLetParentProgress(await runStatuses(db, childRunIds));
}

/** Children read per statement: well under SQLite's limit on bound parameters. */
const statusesPerRead = 500;

/**
 * The statuses of the runs that exist among `runIds`, a few statements for all of them: a
 * distributed fan-out parks on up to thousands of children, and reading them one by one (a
 * round trip each, outputs decoded) held the parking worker for most of a second.
 */
async function runStatuses(db: Db, runIds: readonly string[]): Promise<RunStatus[]> {
  const statuses: RunStatus[] = [];
  for (let from = 0; from < runIds.length; from += statusesPerRead) {
    const rows = await db.selectFrom("runs").select("status").where("id", "in", runIds.slice(from, from + statusesPerRead)).execute();
    for (const row of rows) statuses.push(row.status);
  }
  return statuses;
}

const active: ReadonlySet<RunStatus> = new Set(["pending", "running"]);
const failed: ReadonlySet<RunStatus> = new Set(["failed", "cancelled"]);

/**
 * Whether a parent parked on child runs (`statuses`) should be resumed: one failed (a join may
 * now be doomed), or one ended and none is still pending or running. Resuming on every child's
 * end would replay a fan-out of N children N times; this resumes it once per wave.
 */
export function childrenLetParentProgress(statuses: readonly RunStatus[]): boolean {
  if (statuses.some((status) => failed.has(status))) return true;
  return statuses.some((status) => status === "completed" || status === "partial") && !statuses.some((status) => active.has(status));
}

/** Whether the parent of a child run that just ended (`status`) should be woken: see childrenLetParentProgress. */
export async function childEndLetsParentProgress(db: Db, child: { id: string; parentRunId: string }, status: RunStatus): Promise<boolean> {
  if (failed.has(status)) return true;
  const sibling = await db.selectFrom("runs").select("id").where("parent_run_id", "=", child.parentRunId).where("id", "!=", child.id).where("status", "in", [...active]).limit(1).executeTakeFirst();
  return sibling === undefined;
}

/** The earliest deadline among a parked run's waits (epoch ms), if any has one. */
export function earliestDeadline(journal: Journal): number | undefined {
  let earliest: number | undefined;
  for (const entry of journal.entries()) {
    const deadline = entry.status === "waiting" ? (entry.input as { deadline?: number | null } | undefined)?.deadline : undefined;
    if (typeof deadline === "number" && (earliest === undefined || deadline < earliest)) earliest = deadline;
  }
  return earliest;
}
