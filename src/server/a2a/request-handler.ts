import { createHash } from "node:crypto";
import { TaskState, type AgentCard, type ListTasksResponse, type Message, type SendMessageRequest, type StreamResponse, type Task } from "@a2a-js/sdk";
import type { A2ARequestHandler, ServerCallContext, User } from "@a2a-js/sdk/server";
import { ExtendedAgentCardNotConfiguredError, PushNotificationNotSupportedError, RequestMalformedError, TaskNotCancelableError, TaskNotFoundError, UnsupportedOperationError } from "@a2a-js/sdk/errors";
import type { RunRecord } from "../../engine/run-records.ts";
import { appendAudit } from "../../governance/audit-log.ts";
import type { Operator } from "../../operator/operator.ts";
import type { PendingApproval } from "../../workflow/approvals.ts";
import type { ExposedTarget } from "../../workflow/exposure.ts";
import type { RunHandle } from "../../workflow/run-handle.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { waitingRoot } from "../../workflow/wake.ts";
import { callerPrincipal, startExposedCall, type Caller } from "../exposed-calls.ts";
import { ForbiddenError } from "../server-errors.ts";
import { messageInput, approvalAnswer } from "./message-input.ts";
import { followRun } from "./run-stream.ts";
import { taskOf, terminalStates } from "./task-view.ts";
import { toWireError } from "./wire-errors.ts";

/** The authenticated caller of an A2A request, as the SDK's `User`. */
export class CallerUser implements User {
  readonly caller: Caller;
  constructor(caller: Caller) {
    this.caller = caller;
  }
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return callerPrincipal(this.caller);
  }
}

export interface CadreA2AHandlerOptions {
  runtime: Runtime;
  operator: Operator;
  /** The targets this endpoint offers: one (`/a2a/<name>`) or every A2A target (`/a2a`, routed by skill id). */
  targets: readonly ExposedTarget[];
  card: AgentCard;
  /** How often a followed run's record is read again, for runs executing in another process (default 500 ms). */
  pollMs?: number;
}

/**
 * A2A over Cadre runs: a task is a run (task id = run id) of an exposed target, started for
 * the caller by `startExposedCall` (its grants, its audit, the workflow's budget). The
 * message id names the run, so a retried SendMessage finds the run it started instead of
 * starting a second one. A caller sees and touches only its own tasks.
 */
export class CadreA2AHandler implements A2ARequestHandler {
  readonly #runtime: Runtime;
  readonly #operator: Operator;
  readonly #targets: readonly ExposedTarget[];
  readonly #card: AgentCard;
  readonly #pollMs: number;

  constructor(options: CadreA2AHandlerOptions) {
    this.#runtime = options.runtime;
    this.#operator = options.operator;
    this.#targets = options.targets;
    this.#card = options.card;
    this.#pollMs = options.pollMs ?? 500;
  }

  async getAgentCard(): Promise<AgentCard> {
    return this.#card;
  }

  async getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    throw new ExtendedAgentCardNotConfiguredError();
  }

  async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    return wire(async () => {
      const caller = callerOf(context);
      const { run, handle } = await this.#begin(caller, params);
      if (!params.configuration?.returnImmediately) {
        if (handle) await handle.result();
        // A retried message whose run is still going: wait for it as the first send would have.
        else for await (const _ of followRun({ runtime: this.#runtime, runId: run.id, handle: undefined, pollMs: this.#pollMs, task: (current) => this.#task(current) }));
      }
      return this.#task((await this.#runtime.getRun(run.id))!, params.configuration?.historyLength);
    });
  }

  async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const caller = callerOf(context);
    const begun = await wire(() => this.#begin(caller, params));
    yield* this.#stream(begun.run.id, begun.handle);
  }

  async *resubscribe(params: { id: string }, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const run = await wire(() => this.#owned(callerOf(context), params.id));
    yield* this.#stream(run.id, undefined);
  }

  async getTask(params: { id: string; historyLength?: number | undefined }, context: ServerCallContext): Promise<Task> {
    return wire(async () => this.#task(await this.#owned(callerOf(context), params.id), params.historyLength));
  }

  async listTasks(params: { contextId: string; status: TaskState; pageSize?: number | undefined; pageToken: string; historyLength?: number | undefined; statusTimestampAfter: string | undefined }, context: ServerCallContext): Promise<ListTasksResponse> {
    return wire(async () => {
      const principal = callerPrincipal(callerOf(context));
      const pageSize = Math.min(Math.max(params.pageSize ?? 50, 1), 100);
      const offset = params.pageToken ? Number.parseInt(params.pageToken, 10) : 0;
      if (!Number.isSafeInteger(offset) || offset < 0) throw new RequestMalformedError(`pageToken "${params.pageToken}" is not one this server gave: pass the nextPageToken of the previous page.`);
      const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : undefined;
      const runs: RunRecord[] = [];
      for (const target of this.#targets) runs.push(...(await this.#runtime.listRuns({ workflow: target.workflow.name, limit: 10_000 })).filter((run) => run.principal === principal));
      runs.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      const tasks: Task[] = [];
      for (const run of runs) {
        if (params.contextId && run.id !== params.contextId) continue;
        if (after !== undefined && run.updatedAt <= after) continue;
        const task = await this.#task(run, params.historyLength);
        if (params.status && (params.status as TaskState) !== TaskState.TASK_STATE_UNSPECIFIED && task.status?.state !== params.status) continue;
        tasks.push(task);
      }
      const page = tasks.slice(offset, offset + pageSize);
      return { tasks: page, nextPageToken: offset + pageSize < tasks.length ? String(offset + pageSize) : "", pageSize, totalSize: tasks.length };
    });
  }

  async cancelTask(params: { id: string }, context: ServerCallContext): Promise<Task> {
    return wire(async () => {
      const caller = callerOf(context);
      const run = await this.#owned(caller, params.id);
      if (terminalStates.has((await this.#task(run)).status!.state)) throw new TaskNotCancelableError(`Task ${run.id} has ended (${run.status}); it cannot be cancelled.`);
      await this.#runtime.cancel(run.id, { principal: callerPrincipal(caller), reason: "cancelled over A2A (CancelTask)" });
      return this.#task((await this.#runtime.getRun(run.id))!);
    });
  }

  async createTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError();
  }
  async getTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError();
  }
  async listTaskPushNotificationConfigs(): Promise<never> {
    throw new PushNotificationNotSupportedError();
  }
  async deleteTaskPushNotificationConfig(): Promise<never> {
    throw new PushNotificationNotSupportedError();
  }

  /** Starts the run a new message asks for, or answers the approval a task waits for. */
  async #begin(caller: Caller, params: SendMessageRequest): Promise<{ run: RunRecord; handle: RunHandle | undefined }> {
    const message = params.message;
    if (!message || message.parts.length === 0) throw new RequestMalformedError("SendMessage needs a message with at least one part: the input as a data part, or as text.");
    if (message.taskId) return this.#answer(caller, message);
    const target = this.#target(message, params);
    const runId = runIdFor(caller, message.messageId);
    const existing = await this.#runtime.getRun(runId);
    if (existing) return { run: existing, handle: undefined };
    const input = messageInput(message, target.workflow.input);
    try {
      const handle = await startExposedCall(this.#runtime, { caller, target, input, via: "a2a", runId });
      return { run: (await this.#runtime.getRun(runId))!, handle };
    } catch (error) {
      // The same message sent twice at once: the second finds the run the first created.
      const raced = await this.#runtime.getRun(runId);
      if (raced) return { run: raced, handle: undefined };
      throw error;
    }
  }

  /** A message to a task waiting for input decides its approval (by the caller, a person with an operator key), then resumes the run. */
  async #answer(caller: Caller, message: Message): Promise<{ run: RunRecord; handle: RunHandle | undefined }> {
    const run = await this.#owned(caller, message.taskId);
    const approval = await this.#pendingApproval(run);
    if (!approval) throw new UnsupportedOperationError(`Task ${run.id} is ${run.status} and waits for no input: only a task in TASK_STATE_INPUT_REQUIRED takes an answer.`);
    const answer = approvalAnswer(message);
    if (caller.kind === "agent") await this.#refuseAgentDecision(caller, run, approval);
    const approvals = this.#operator.as(callerPrincipal(caller)).approvals;
    await (answer.approved ? approvals.approve(approval.runId, approval.name, { note: answer.note }) : approvals.reject(approval.runId, approval.name, { note: answer.note }));
    await this.#runtime.wake(run.id);
    // Followed by reading the run, not through wake's handle: a run still settling its park when the
    // answer came is woken again after it settles, and the handle wake returns is the parked one.
    return { run: (await this.#runtime.getRun(run.id))!, handle: undefined };
  }

  /**
   * An approval is a person's check on the run: the agent that asked for the work may not
   * answer it for itself. Refused (FORBIDDEN) and audited; an operator key, or `cadre approve`, decides.
   */
  async #refuseAgentDecision(caller: Caller, run: RunRecord, approval: PendingApproval): Promise<never> {
    const reason = `an approval is decided by a person: answer the task with an operator key (approver role or above), or run cadre approve ${approval.runId} ${approval.name}`;
    await this.#runtime.store.transaction((tx) =>
      appendAudit(tx, this.#runtime.store.dialect, [{ kind: "approval.denied", at: this.#runtime.now(), runId: approval.runId, stepKey: approval.stepKey, workflow: run.workflow, agent: caller.name, principal: callerPrincipal(caller), data: { name: approval.name, via: "a2a", reason } }]),
    );
    throw new ForbiddenError({ message: `${callerPrincipal(caller)} may not decide approval "${approval.name}" of task ${run.id}: ${reason}.`, operator: caller.name, action: `decide ${approval.name}`, reason });
  }

  async *#stream(runId: string, handle: RunHandle | undefined): AsyncGenerator<StreamResponse, void, undefined> {
    try {
      yield* followRun({ runtime: this.#runtime, runId, handle, pollMs: this.#pollMs, task: (run) => this.#task(run) });
    } catch (error) {
      throw toWireError(error);
    }
  }

  /** The target a new message is for: the message's (or request's) `skill` metadata, else the only one. */
  #target(message: Message, params: SendMessageRequest): ExposedTarget {
    const skill = message.metadata?.skill ?? params.metadata?.skill;
    const names = this.#targets.map((target) => target.name).join(", ");
    if (skill === undefined) {
      if (this.#targets.length === 1) return this.#targets[0]!;
      throw new RequestMalformedError(`This endpoint offers several skills (${names}): name one in the message's metadata, e.g. {"skill": "${this.#targets[0]?.name ?? "name"}"}, or call /a2a/<skill>.`);
    }
    const target = this.#targets.find((candidate) => candidate.name === skill);
    if (!target) throw new RequestMalformedError(`No skill "${String(skill)}" here; the skills are: ${names || "none"} (a priced skill is called at /a2a/<skill>, paid with x402).`);
    return target;
  }

  /** The caller's run behind a task id; another caller's run, or one of no target here, is not found (its existence is not told). */
  async #owned(caller: Caller, taskId: string): Promise<RunRecord> {
    if (!taskId?.trim()) throw new RequestMalformedError("The task id is missing.");
    const run = await this.#runtime.getRun(taskId);
    if (!run || run.principal !== callerPrincipal(caller) || !this.#targets.some((target) => target.workflow.name === run.workflow)) {
      throw new TaskNotFoundError(`No task ${taskId} for ${callerPrincipal(caller)} here: tasks are listed with ListTasks.`);
    }
    return run;
  }

  /** The approval a run (or a child run it waits on) is parked on, if any. */
  async #pendingApproval(run: RunRecord): Promise<PendingApproval | undefined> {
    if (run.status !== "waiting") return undefined;
    const own = await this.#operator.approvals.pending({ runId: run.id });
    if (own[0]) return own[0];
    for (const approval of await this.#operator.approvals.pending()) {
      if ((await waitingRoot(this.#runtime.store.db, approval.runId)) === run.id) return approval;
    }
    return undefined;
  }

  async #task(run: RunRecord, historyLength?: number): Promise<Task> {
    return taskOf(run, await this.#pendingApproval(run), { historyLength });
  }
}

function callerOf(context: ServerCallContext): Caller {
  const user = context.user;
  if (!(user instanceof CallerUser)) throw new Error("An A2A request reached the handler unauthenticated: the mount authenticates every request first.");
  return user.caller;
}

/** The run a message starts: named by the caller and the message id, so a retried message is the same run. */
export function runIdFor(caller: Caller, messageId: string): string {
  if (!messageId?.trim()) throw new RequestMalformedError("The message needs a messageId: a retried message with the same id is the same task.");
  return `run_a2a_${createHash("sha256").update(`${callerPrincipal(caller)}\u0000${messageId}`).digest("hex").slice(0, 24)}`;
}

/** Runs the body, giving any Cadre error Cadre's code on the wire. */
async function wire<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toWireError(error);
  }
}
