import type { AgentCard, Message, Part, Task } from "@a2a-js/sdk";
import type { Client } from "@a2a-js/sdk/client";
import { z } from "zod";
import { CadreError, errorCatalog, type ErrorCode } from "../../errors.ts";
import { RemoteAgentError } from "./a2a-errors.ts";

/** One A2A call as a remote agent's tool makes it. */
export interface A2ACallRequest {
  agent: string;
  url: string;
  card: AgentCard;
  skill: string | undefined;
  input: unknown;
  output: z.ZodType;
  /** The step's idempotency key: the message id is derived from it, so a retried call is the same remote task. */
  idempotencyKey: string;
  /** The fetch every request of the call goes through (a payment session's, with the credential added). */
  fetch: typeof fetch;
  signal: AbortSignal;
}

export interface A2ACallResult {
  output: unknown;
  taskId: string | null;
}

/** The message id of a call: stable across retries and resumes of the step. */
export const messageIdFor = (idempotencyKey: string) => `cadre-${idempotencyKey}`;

/**
 * Sends the input as a message (a string as text, anything else as a data part) and waits for
 * the task to end: its output is the first artifact (else the final message). A task that
 * fails, is cancelled or rejected, or waits for input, is a RemoteAgentError naming its state.
 */
export async function callRemoteAgent(request: A2ACallRequest): Promise<A2ACallResult> {
  // Loaded on the first call: importing Cadre does not load the A2A SDK.
  const { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory } = await import("@a2a-js/sdk/client");
  const { Role, TaskState } = await import("@a2a-js/sdk");
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: request.fetch }), new RestTransportFactory({ fetchImpl: request.fetch })] }));
  const client = await factory.createFromAgentCard(request.card);
  const message: Message = {
    messageId: messageIdFor(request.idempotencyKey),
    contextId: "",
    taskId: "",
    role: Role.ROLE_USER,
    parts: [typeof request.input === "string" ? part("text", request.input) : part("data", request.input ?? null)],
    metadata: request.skill ? { skill: request.skill } : undefined,
    extensions: [],
    referenceTaskIds: [],
  };
  let result: Message | Task;
  try {
    result = await client.sendMessage({ tenant: "", message, configuration: undefined, metadata: undefined }, { signal: request.signal });
  } catch (error) {
    throw wireFailure(error, request);
  }
  if ("messageId" in result) return { output: valueOf(result.parts, request.output), taskId: result.taskId || null };
  const task = await untilSettled(client, result, request, TaskState);
  return { output: valueOf(task.artifacts[0]?.parts ?? task.status?.message?.parts ?? [], request.output), taskId: task.id };
}

/** Follows a task the blocking send returned before it ended (a server may answer early). */
async function untilSettled(client: Client, first: Task, request: A2ACallRequest, TaskState: typeof import("@a2a-js/sdk").TaskState): Promise<Task> {
  const working = [TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_UNSPECIFIED];
  let task = first;
  while (working.includes(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
    try {
      if (request.card.capabilities?.streaming) {
        for await (const event of client.resubscribeTask({ tenant: "", id: task.id }, { signal: request.signal })) {
          if (event.payload?.$case === "task") task = event.payload.value;
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      task = await client.getTask({ tenant: "", id: task.id }, { signal: request.signal });
    } catch (error) {
      throw wireFailure(error, request);
    }
  }
  const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
  if (state === TaskState.TASK_STATE_COMPLETED) return task;
  const said = (task.status?.message?.parts ?? []).flatMap((each) => (each.content?.$case === "text" ? [each.content.value] : [])).join(" ");
  const stateName = TaskState[state] ?? String(state);
  const waiting = state === TaskState.TASK_STATE_INPUT_REQUIRED || state === TaskState.TASK_STATE_AUTH_REQUIRED;
  throw new RemoteAgentError(
    {
      message: `Remote agent "${request.agent}" (${request.url}) ended task ${task.id} in ${stateName}${said ? `: ${said}` : "."}`,
      ...(waiting ? { fix: `Someone must answer task ${task.id} on the remote side; resuming this run then sends the same message again and picks up the answer.` } : {}),
      agent: request.agent,
      url: request.url,
      taskId: task.id,
      state: stateName,
    },
    { retryable: false },
  );
}

function part(kind: "text" | "data", value: unknown): Part {
  return kind === "text"
    ? { content: { $case: "text", value: value as string }, metadata: undefined, filename: "", mediaType: "text/plain" }
    : { content: { $case: "data", value }, metadata: undefined, filename: "", mediaType: "application/json" };
}

/** The answer's value: its first data part; else its text, as the string when the output is a string, else as JSON. */
function valueOf(parts: Part[], output: z.ZodType): unknown {
  for (const each of parts) if (each.content?.$case === "data") return each.content.value;
  const text = parts.flatMap((each) => (each.content?.$case === "text" ? [each.content.value] : [])).join("");
  if (output.safeParse(text).success) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A refusal or failure on the wire as a RemoteAgentError. A remote Cadre's reason (FORBIDDEN,
 * BUDGET_EXCEEDED, ...) is kept as `remoteCode`, and whose fault it is follows it; a network
 * error or a 5xx may pass if tried again.
 */
function wireFailure(error: unknown, request: A2ACallRequest): CadreError {
  // Raised on this side, in the call's fetch (the payer refusing a price above the cap, or the payee refusing its payment): already typed, and not the remote's failure.
  if (CadreError.is(error)) return error;
  if (request.signal.aborted) return new RemoteAgentError({ message: `The call of remote agent "${request.agent}" was aborted.`, agent: request.agent, url: request.url }, { cause: error });
  const data = (error as { data?: unknown }).data;
  const reason = Array.isArray(data) ? (data[0] as { reason?: unknown } | undefined)?.reason : (error as { reason?: unknown }).reason;
  const remoteCode = typeof reason === "string" ? reason : undefined;
  const known = remoteCode && remoteCode in errorCatalog ? errorCatalog[remoteCode as ErrorCode] : undefined;
  const message = (error as Error).message ?? String(error);
  const transient = !remoteCode && (/HTTP error .* Status: 5\d\d/.test(message) || error instanceof TypeError);
  return new RemoteAgentError(
    { message: `Remote agent "${request.agent}" (${request.url}) refused or failed the call${remoteCode ? ` (${remoteCode})` : ""}: ${message}`, agent: request.agent, url: request.url, ...(remoteCode ? { remoteCode } : {}) },
    { cause: error, retryable: transient, ...(known ? { fault: known.fault } : {}) },
  );
}
