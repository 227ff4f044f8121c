import { TaskState, type StreamResponse, type Task } from "@a2a-js/sdk";
import type { RuntimeEvent } from "../../engine/events.ts";
import type { RunRecord } from "../../engine/run-records.ts";
import type { RunHandle } from "../../workflow/run-handle.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { agentMessage, outputArtifact, streamEndsAt, textPart } from "./task-view.ts";

/**
 * A run's progress as an A2A stream: the task first, then a WORKING status update per step
 * started and ended, then (for a completed run) its output artifact and the final status:
 * COMPLETED, FAILED, CANCELED, or INPUT_REQUIRED when it parks on an approval (the stream
 * ends; answering the task continues it). Events come from the handle of a run started here,
 * else from the runtime's feed; the record is read again every `pollMs` too, so a run
 * executing in another process (a worker) still ends the stream.
 */
export async function* followRun(options: { runtime: Runtime; runId: string; handle: RunHandle | undefined; pollMs: number; task: (run: RunRecord) => Promise<Task> }): AsyncGenerator<StreamResponse, void, undefined> {
  const { runtime, runId } = options;
  const queue: RuntimeEvent[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  let stopped = false;
  let off: (() => void) | undefined;
  if (options.handle) {
    const handle = options.handle;
    void (async () => {
      for await (const event of handle.events()) {
        if (stopped) return;
        queue.push(event);
        notify();
      }
    })().catch(() => {});
    handle.result().then(notify, notify);
  } else {
    off = runtime.onAny((event) => {
      if (event.runId !== runId) return;
      queue.push(event);
      notify();
    });
  }
  try {
    let run = (await runtime.getRun(runId))!;
    let task = await options.task(run);
    yield { payload: { $case: "task", value: task } };
    while (!streamEndsAt(task.status!.state)) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      for (const event of queue.splice(0)) {
        const progress = progressOf(event);
        if (progress) yield { payload: { $case: "statusUpdate", value: { taskId: runId, contextId: runId, status: { state: TaskState.TASK_STATE_WORKING, message: agentMessage(run, `${runId}:${event.event}:${progress.key}`, [textPart(progress.text)]), timestamp: new Date(runtime.now()).toISOString() }, metadata: progress.metadata } } };
      }
      run = (await runtime.getRun(runId))!;
      task = await options.task(run);
    }
    if (task.status!.state === TaskState.TASK_STATE_COMPLETED) {
      yield { payload: { $case: "artifactUpdate", value: { taskId: runId, contextId: runId, artifact: outputArtifact(run), append: false, lastChunk: true, metadata: undefined } } };
    }
    yield { payload: { $case: "statusUpdate", value: { taskId: runId, contextId: runId, status: task.status, metadata: task.metadata } } };
  } finally {
    stopped = true;
    off?.();
  }
}

/** What a step event tells the caller; other events (model text, run start) are not forwarded. */
function progressOf(event: RuntimeEvent): { key: string; text: string; metadata: Record<string, unknown> } | undefined {
  if (event.event === "step-start") return { key: `${event.key}:${event.attempt}`, text: `Step ${event.key} started${event.agent ? ` (agent ${event.agent})` : ""}.`, metadata: { event: "step-start", stepKey: event.key, type: event.type, agent: event.agent, attempt: event.attempt } };
  if (event.event === "step-end") return { key: `${event.key}:${event.attempt}`, text: `Step ${event.key} ${event.status}${event.replayed ? " (from the journal)" : ""}.`, metadata: { event: "step-end", stepKey: event.key, type: event.type, agent: event.agent, attempt: event.attempt, status: event.status } };
  return undefined;
}
