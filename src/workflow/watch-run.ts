import type { EventBus } from "../engine/events.ts";
import { Journal } from "../engine/journal.ts";
import { UnknownRunError } from "../engine/engine-errors.ts";
import { getRunRecord } from "../engine/run-records.ts";
import type { Store } from "../store/store.ts";
import { RunEventStream } from "./run-events.ts";
import type { RunHandle, RunResult } from "./run-handle.ts";

/**
 * The handle of a run handed to worker processes: it reads the store until the run ends or
 * parks after `sinceEpoch` (a worker took it since it was queued), and replays the steps it
 * sees as `step-start` / `step-end` events on `events`, so `cadre run` draws the same progress
 * whichever process executes the run.
 */
export function watchRun(store: Store, runId: string, options: { sinceEpoch: number; events: EventBus; pollMs: number; closed: () => boolean }): RunHandle {
  let stream: RunEventStream | undefined;
  let result: Promise<RunResult> | undefined;
  const settled = () => (result ??= poll(store, runId, options).finally(() => stream?.end()));
  return {
    runId,
    result: settled,
    events: () => {
      // Opened on first use: the watcher then replays the journal from its first step onto the bus.
      stream ??= new RunEventStream(options.events, runId);
      void settled();
      return stream.iterate();
    },
  };
}

async function poll(store: Store, runId: string, options: { sinceEpoch: number; events: EventBus; pollMs: number; closed: () => boolean }): Promise<RunResult> {
  const seen = new Map<string, string>();
  for (;;) {
    const run = await getRunRecord(store.db, runId);
    if (!run) return { runId, status: "failed", error: new UnknownRunError({ runId }).toJSON() };
    if (options.events.listens("step-start") || options.events.listens("step-end")) await replaySteps(store, runId, seen, options.events);
    const settled = run.status === "completed" || run.status === "partial" || run.status === "cancelled";
    const taken = run.leaseEpoch > options.sinceEpoch;
    // A parent parked on a child run still executing on a worker is not waiting for anyone: keep watching.
    const parkedOrFailed = taken && (run.status === "failed" || (run.status === "waiting" && (await waitsForAnswer(store, runId))));
    if (settled || parkedOrFailed) return { runId, status: run.status, ...(run.status === "completed" || run.status === "partial" ? { output: run.output } : {}), ...(run.error ? { error: run.error } : {}) };
    if (options.closed()) return { runId, status: run.status };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** Emits the steps that started or ended since the last look. */
async function replaySteps(store: Store, runId: string, seen: Map<string, string>, events: EventBus): Promise<void> {
  for (const entry of (await Journal.load(store, runId)).entries()) {
    const mark = `${entry.attempt}:${entry.status}`;
    if (seen.get(entry.key) === mark) continue;
    const base = { runId, key: entry.key, name: entry.name, type: entry.type, agent: entry.agent, attempt: entry.attempt };
    if (!seen.has(entry.key) || entry.status === "started") events.emit("step-start", base);
    if (entry.status !== "started") events.emit("step-end", { ...base, status: entry.status, durationMs: entry.durationMs ?? 0, ...(entry.error ? { error: entry.error } : {}), replayed: false });
    seen.set(entry.key, mark);
  }
}

/** Whether a parked run (or a child run it waits on) waits for an approval or an event, rather than for a child still executing. */
async function waitsForAnswer(store: Store, runId: string): Promise<boolean> {
  for (const entry of (await Journal.load(store, runId)).entries()) {
    if (entry.status !== "waiting") continue;
    if (entry.type !== "workflow") return true;
    const childId = (entry.input as { runId?: string } | undefined)?.runId;
    const child = childId ? await getRunRecord(store.db, childId) : undefined;
    if (!child || (child.status === "waiting" && (await waitsForAnswer(store, child.id)))) return true;
  }
  return false;
}
