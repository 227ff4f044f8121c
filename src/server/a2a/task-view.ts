import { Role, TaskState, type Artifact, type Message, type Part, type Task } from "@a2a-js/sdk";
import type { RunRecord } from "../../engine/run-records.ts";
import type { PendingApproval } from "../../workflow/approvals.ts";

// A task is a Cadre run seen through A2A: task id = run id, so a task is journaled, governed,
// resumable and listed (`cadre runs`) like any run, and nothing about it is stored twice.

/** The A2A state of a run: a run parked on an approval asks its caller for input. */
export function taskState(run: RunRecord, approval: PendingApproval | undefined): TaskState {
  switch (run.status) {
    case "pending":
      return TaskState.TASK_STATE_SUBMITTED;
    case "running":
      return TaskState.TASK_STATE_WORKING;
    case "waiting":
      return approval ? TaskState.TASK_STATE_INPUT_REQUIRED : TaskState.TASK_STATE_WORKING;
    case "completed":
    case "partial":
      return TaskState.TASK_STATE_COMPLETED;
    case "failed":
      return TaskState.TASK_STATE_FAILED;
    case "cancelled":
      return TaskState.TASK_STATE_CANCELED;
  }
}

export const terminalStates: ReadonlySet<TaskState> = new Set([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);

/** Whether a stream ends at this state: a finished task, or one waiting for its caller's answer. */
export const streamEndsAt = (state: TaskState) => terminalStates.has(state) || state === TaskState.TASK_STATE_INPUT_REQUIRED;

export function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" };
}

export function dataPart(value: unknown): Part {
  return { content: { $case: "data", value }, metadata: undefined, filename: "", mediaType: "application/json" };
}

/** A JSON value as parts: a string as text, anything else as data. */
export const valueParts = (value: unknown): Part[] => (typeof value === "string" ? [textPart(value)] : [dataPart(value ?? null)]);

export function agentMessage(run: RunRecord, messageId: string, parts: Part[]): Message {
  return { messageId, contextId: run.id, taskId: run.id, role: Role.ROLE_AGENT, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/** What the run says with its state: the error of a failed run, what a parked approval asks and how to answer it. */
function statusMessage(run: RunRecord, approval: PendingApproval | undefined): Message | undefined {
  if (run.status === "waiting" && approval) {
    return agentMessage(run, `${run.id}:approval:${approval.name}`, [
      textPart(`The run waits for approval "${approval.name}". Answer this task with a message: "approve" or "reject" (text), or a data part {"approved": true|false, "note": "..."}.`),
      dataPart({ approval: approval.name, stepKey: approval.stepKey, request: approval.request ?? null }),
    ]);
  }
  if ((run.status === "failed" || run.status === "cancelled") && run.error) {
    return agentMessage(run, `${run.id}:error`, [textPart(run.error.message), dataPart({ error: { code: run.error.code, fault: run.error.fault, message: run.error.message } })]);
  }
  return undefined;
}

/** The run's output as the task's one artifact. */
export function outputArtifact(run: RunRecord): Artifact {
  return { artifactId: `${run.id}:output`, name: "output", description: `The output of ${run.workflow}.`, parts: valueParts(run.output), metadata: undefined, extensions: [] };
}

/** The input the caller sent, as the task's first history message. */
function inputMessage(run: RunRecord): Message {
  return { ...agentMessage(run, `${run.id}:input`, valueParts(run.input)), role: Role.ROLE_USER };
}

export function taskOf(run: RunRecord, approval: PendingApproval | undefined, options: { historyLength?: number | undefined } = {}): Task {
  const state = taskState(run, approval);
  const history = options.historyLength === 0 ? [] : [inputMessage(run)];
  return {
    id: run.id,
    contextId: run.id,
    status: { state, message: statusMessage(run, approval), timestamp: new Date(run.updatedAt).toISOString() },
    artifacts: state === TaskState.TASK_STATE_COMPLETED ? [outputArtifact(run)] : [],
    history,
    metadata: { workflow: run.workflow, runStatus: run.status, principal: run.principal },
  };
}
