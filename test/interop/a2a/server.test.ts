import { randomUUID } from "node:crypto";
import { Role, TaskState, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, Runtime, type Operator } from "../../../src/index.ts";
import { listen, type ListeningServer } from "../../../src/server/listen.ts";
import { dialects, freshStoreLocation } from "../../helpers/stores.ts";
import { officialClient } from "./official-client.ts";

const greet = defineWorkflow({ name: "greet", description: "Greets someone.", input: z.object({ name: z.string() }), output: z.string(), run: async ({ name }, ctx) => ctx.step("shout", async () => `hello ${name}`) });
const echo = defineAgent({ name: "echo", owner: "tests", purpose: "Repeats what it is told.", input: z.string(), output: z.string(), run: (text) => `echo: ${text}` });
const payout = defineWorkflow({
  name: "payout",
  description: "Pays out after a person approves.",
  input: z.object({ amount: z.number() }),
  output: z.object({ paid: z.number(), by: z.string() }),
  run: async ({ amount }, ctx) => {
    const decision = await ctx.approval("release", { request: { amount } });
    return { paid: amount, by: decision.by };
  },
});
const idle = defineWorkflow({ name: "idle", description: "Waits for an event that never comes.", input: z.object({}), output: z.any(), run: async (_input, ctx) => ctx.waitFor("never") });
const buyer = defineAgent({ name: "buyer", owner: "tests", purpose: "Calls other agents.", input: z.string(), output: z.string(), run: (text) => text });

const message = (data: unknown, extra: Partial<Message> = {}): Message => ({
  messageId: randomUUID(),
  contextId: "",
  taskId: "",
  role: Role.ROLE_USER,
  parts: [typeof data === "string" ? { content: { $case: "text", value: data }, metadata: undefined, filename: "", mediaType: "text/plain" } : { content: { $case: "data", value: data }, metadata: undefined, filename: "", mediaType: "application/json" }],
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
  ...extra,
});
const send = (msg: Message, configuration?: { returnImmediately?: boolean }) => ({ tenant: "", message: msg, configuration: configuration ? { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: configuration.returnImmediately ?? false } : undefined, metadata: undefined });

describe.each(await dialects())("A2A server: the official client against cadre serve (%s)", (dialect) => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function fixture(options: { authFailures?: { limit: number } } = {}): Promise<{ runtime: Runtime; operator: Operator; server: ListeningServer; key: string }> {
    const location = await freshStoreLocation(dialect);
    closers.push(() => location.cleanup());
    const runtime = await Runtime.open({ store: location.location, agents: [echo, buyer], workflows: [greet, payout, idle], expose: { workflows: { greet: {}, payout: {}, idle: {} }, agents: { echo: { via: ["a2a"] } } } });
    closers.push(() => runtime.close());
    const operator = openOperator({ store: runtime.store, principal: "setup" });
    const key = (await operator.keys.create({ operator: "ana", role: "operator" })).secret;
    const server = await listen({ runtime, auth: { mode: "keys" }, host: "127.0.0.1", port: 0, ...(options.authFailures ? { authFailures: options.authFailures } : {}) });
    closers.push(() => server.close());
    return { runtime, operator, server, key };
  }

  it("serves cards: the deployment's with every A2A target as a skill, and one per target", async () => {
    const { server } = await fixture();
    const deployment = (await (await fetch(`${server.url}/.well-known/agent-card.json`)).json()) as any;
    expect(deployment.skills.map((skill: { id: string }) => skill.id)).toEqual(["greet", "payout", "idle", "echo"]);
    expect(deployment.supportedInterfaces).toEqual([{ url: `${server.url}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }]);
    expect(deployment.securitySchemes.bearer.httpAuthSecurityScheme.scheme).toBe("Bearer");
    const client = await officialClient(`${server.url}/a2a/greet`);
    const card = await client.getAgentCard();
    expect(card.name).toBe("greet");
    expect(card.skills.map((skill) => skill.id)).toEqual(["greet"]);
    expect(card.version).toMatch(/^[0-9a-f]{16}$/);
    expect(card.capabilities?.streaming).toBe(true);
    expect((await fetch(`${server.url}/a2a/nope/.well-known/agent-card.json`)).status).toBe(404);
  });

  it("SendMessage runs the target; GetTask and ListTasks show the caller's tasks", async () => {
    const { server, key, runtime } = await fixture();
    const client = await officialClient(`${server.url}/a2a/greet`, key);
    const result = (await client.sendMessage(send(message({ name: "ada" })))) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(result.artifacts[0]?.parts[0]?.content).toEqual({ $case: "text", value: "hello ada" });
    const run = await runtime.getRun(result.id);
    expect(run).toMatchObject({ workflow: "greet", status: "completed", principal: "operator:ana" });
    const again = await client.getTask({ tenant: "", id: result.id });
    expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const listed = await client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: "", statusTimestampAfter: undefined });
    expect(listed.tasks.map((task) => task.id)).toEqual([result.id]);

    // Bad input: JSON-RPC invalid params, Cadre's code as the reason, the field named; no run.
    const bad = (await client.sendMessage(send(message({ nom: "x" }))).catch((error: unknown) => error)) as { data: Array<{ reason: string }>; message: string };
    expect(bad.data[0]).toMatchObject({ reason: "INVALID_INPUT", metadata: { fault: "input" } });
    expect(bad.message).toMatch(/name/);
    expect((await runtime.listRuns({ workflow: "greet" })).length).toBe(1);

    // An agent exposed over A2A takes text: a string input.
    const echoClient = await officialClient(`${server.url}/a2a/echo`, key);
    const echoed = (await echoClient.sendMessage(send(message("hi")))) as Task;
    expect(echoed.artifacts[0]?.parts[0]?.content).toEqual({ $case: "text", value: "echo: hi" });
  });

  it("a retried message (same message id) is the same task, not a second run", async () => {
    const { server, key, runtime } = await fixture();
    const client = await officialClient(`${server.url}/a2a/greet`, key);
    const msg = message({ name: "bo" });
    const first = (await client.sendMessage(send(msg))) as Task;
    const second = (await client.sendMessage(send(msg))) as Task;
    expect(second.id).toBe(first.id);
    expect((await runtime.listRuns({ workflow: "greet" })).length).toBe(1);
  });

  it("SendStreamingMessage streams step progress over SSE, ending with the output", async () => {
    const { server, key } = await fixture();
    const client = await officialClient(`${server.url}/a2a/greet`, key);
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(send(message({ name: "cy" })))) events.push(event);
    expect(events[0]?.payload?.$case).toBe("task");
    const updates = events.filter((event) => event.payload?.$case === "statusUpdate").map((event) => (event.payload as { value: { status: { state: TaskState }; metadata?: Record<string, unknown> } }).value);
    expect(updates.some((update) => update.metadata?.event === "step-end" && update.metadata.stepKey === "1:shout")).toBe(true);
    expect(updates.at(-1)?.status.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const artifact = events.find((event) => event.payload?.$case === "artifactUpdate");
    expect((artifact?.payload as { value: { artifact: { parts: Array<{ content: unknown }> } } }).value.artifact.parts[0]?.content).toEqual({ $case: "text", value: "hello cy" });
  });

  it("an approval surfaces as INPUT_REQUIRED; answering the task decides it and the run completes", async () => {
    const { server, key, operator } = await fixture();
    const client = await officialClient(`${server.url}/a2a/payout`, key);
    const parked = (await client.sendMessage(send(message({ amount: 40 })))) as Task;
    expect(parked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(parked.status?.message?.parts[1]?.content).toMatchObject({ $case: "data", value: { approval: "release", request: { amount: 40 } } });
    const done = (await client.sendMessage(send(message("approve: within limits", { taskId: parked.id })))) as Task;
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(done.artifacts[0]?.parts[0]?.content).toEqual({ $case: "data", value: { paid: 40, by: "operator:ana" } });
    const granted = (await operator.audit.list({ kind: "approval.granted" })).items;
    expect(granted.map((record) => [record.runId, record.principal, record.data.note])).toEqual([[parked.id, "operator:ana", "within limits"]]);

    // Streamed, the run's stream ends at INPUT_REQUIRED; a rejection answered in a data part fails the run.
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(send(message({ amount: 5 })))) events.push(event);
    const last = (events.at(-1)?.payload as { value: { taskId: string; status: { state: TaskState } } }).value;
    expect(last.status.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const rejected = (await client.sendMessage(send(message({ approved: false, note: "too small" }, { taskId: last.taskId })))) as Task;
    expect(rejected.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(rejected.status?.message?.parts[0]?.content).toMatchObject({ $case: "text", value: expect.stringContaining("too small") });
    await expect(client.sendMessage(send(message("approve", { taskId: last.taskId })))).rejects.toThrow(/waits for no input/);
  });

  it("CancelTask cancels a working task; SubscribeToTask streams it to its end", async () => {
    const { server, key, runtime } = await fixture();
    const client = await officialClient(`${server.url}/a2a/idle`, key);
    const task = (await client.sendMessage(send(message({})))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const seen: StreamResponse[] = [];
    const following = (async () => {
      for await (const event of client.resubscribeTask({ tenant: "", id: task.id })) seen.push(event);
    })();
    const cancelled = await client.cancelTask({ tenant: "", id: task.id, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await following;
    expect(seen[0]?.payload?.$case).toBe("task");
    expect((seen.at(-1)?.payload as { value: { status: { state: TaskState } } }).value.status.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect((await runtime.getRun(task.id))?.status).toBe("cancelled");
    await expect(client.cancelTask({ tenant: "", id: task.id, metadata: undefined })).rejects.toThrow(/cannot be cancelled/);
  });

  it("an agent credential without expose:<name> is refused and audited; another caller's task is not found", async () => {
    const { server, key, operator } = await fixture();
    const { secret } = await operator.credentials.create("buyer");
    const asBuyer = await officialClient(`${server.url}/a2a/greet`, secret);
    const refused = await asBuyer.sendMessage(send(message({ name: "eve" }))).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/may not call workflow greet/);
    const denials = (await operator.audit.list({ kind: "expose.denied" })).items;
    expect(denials.map((record) => [record.principal, record.data.target, record.data.via])).toEqual([["agent:buyer", "greet", "a2a"]]);

    await operator.grants.add("buyer", { scope: "expose:greet" });
    const task = (await asBuyer.sendMessage(send(message({ name: "eve" })))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    // An agent may start a task that parks on an approval, but not answer it for itself.
    await operator.grants.add("buyer", { scope: "expose:payout" });
    const buyerPayout = await officialClient(`${server.url}/a2a/payout`, secret);
    const parked = (await buyerPayout.sendMessage(send(message({ amount: 9 })))) as Task;
    expect(parked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const selfApproved = (await buyerPayout.sendMessage(send(message("approve", { taskId: parked.id }))).catch((error: unknown) => error)) as { data: Array<{ reason: string }>; message: string };
    expect(selfApproved.data[0]?.reason).toBe("FORBIDDEN");
    expect(selfApproved.message).toMatch(/decided by a person/);
    expect((await operator.audit.list({ kind: "approval.denied" })).items.map((record) => [record.runId, record.principal, record.data.via])).toEqual([[parked.id, "agent:buyer", "a2a"]]);
    expect((await operator.approvals.pending({ runId: parked.id })).map((approval) => approval.name)).toEqual(["release"]);

    const asAna = await officialClient(`${server.url}/a2a/greet`, key);
    await expect(asAna.getTask({ tenant: "", id: task.id })).rejects.toThrow(/No task/);
    expect((await asAna.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: "", statusTimestampAfter: undefined })).tasks).toEqual([]);
  });

  it("refuses a missing credential (401), repeated bad ones (429) and an unsupported A2A-Version with the spec's error", async () => {
    const { server, key } = await fixture({ authFailures: { limit: 2 } });
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } });
    const anonymous = await fetch(`${server.url}/a2a/greet`, { method: "POST", headers: { "content-type": "application/json", "a2a-version": "1.0" }, body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/Bearer/);
    const old = await fetch(`${server.url}/a2a/greet`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "a2a-version": "0.3" }, body });
    expect(((await old.json()) as any).error).toMatchObject({ code: -32009 });
    const guess = () => fetch(`${server.url}/a2a/greet`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer cadre_op_guess", "a2a-version": "1.0" }, body });
    expect((await guess()).status).toBe(401);
    expect((await guess()).status).toBe(401);
    const limited = await guess();
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as any).error.data[0].reason).toBe("RATE_LIMITED");
  });

  it("the deployment endpoint routes by the skill named in the message's metadata", async () => {
    const { server, key } = await fixture();
    const client = await officialClient(server.url, key);
    const task = (await client.sendMessage(send(message({ name: "di" }, { metadata: { skill: "greet" } })))) as Task;
    expect(task.artifacts[0]?.parts[0]?.content).toEqual({ $case: "text", value: "hello di" });
    await expect(client.sendMessage(send(message({ name: "di" })))).rejects.toThrow(/several skills/);
  });
});
