import { randomUUID } from "node:crypto";
import { Role, TaskState, type Task } from "@a2a-js/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineWorkflow, remoteAgent, Runtime } from "../../../src/index.ts";
import { listen } from "../../../src/server/listen.ts";
import { officialClient } from "./official-client.ts";

const payout = defineWorkflow({
  name: "payout",
  description: "Pays out after a person approves.",
  input: z.object({ amount: z.number() }),
  output: z.object({ paid: z.number(), by: z.string() }),
  run: async ({ amount }, ctx) => ({ paid: amount, by: (await ctx.approval("release", { request: { amount } })).by }),
});

describe("Cadre calling Cadre over A2A (one process, two stores)", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("a remote task waiting for approval fails the call; once approved there, resuming the caller picks up the same task", { timeout: 60_000 }, async () => {
    const callee = await Runtime.open({ store: ":memory:", workflows: [payout], expose: { workflows: { payout: {} } } });
    closers.push(() => callee.close());
    const server = await listen({ runtime: callee, auth: { mode: "dev" }, host: "127.0.0.1", port: 0 });
    closers.push(() => server.close());

    const payer = remoteAgent({ name: "payer", owner: "tests", purpose: "Pays out through the other deployment.", url: `${server.url}/a2a/payout`, input: z.object({ amount: z.number() }), output: z.object({ paid: z.number(), by: z.string() }) });
    const settle = defineWorkflow({ name: "settle", input: z.object({ amount: z.number() }), output: z.any(), run: async (input, ctx) => ctx.call(payer, input) });
    const caller = await Runtime.open({ store: ":memory:", agents: [payer], workflows: [settle] });
    closers.push(() => caller.close());

    const first = await (await caller.start(settle, { amount: 70 })).result();
    expect(first.status).toBe("failed");
    expect(first.error).toMatchObject({ code: "REMOTE_AGENT_FAILED", details: { state: "TASK_STATE_INPUT_REQUIRED" } });
    const taskId = first.error!.details.taskId as string;
    expect((await callee.getRun(taskId))?.status).toBe("waiting");

    // Someone answers the task on the callee's side (dev mode: as the local admin, who started it).
    const client = await officialClient(`${server.url}/a2a/payout`);
    const answered = (await client.sendMessage({ tenant: "", message: { messageId: randomUUID(), contextId: "", taskId, role: Role.ROLE_USER, parts: [{ content: { $case: "data", value: { approved: true, note: "ok" } }, metadata: undefined, filename: "", mediaType: "application/json" }], metadata: undefined, extensions: [], referenceTaskIds: [] }, configuration: undefined, metadata: undefined })) as Task;
    expect(answered.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

    // The resumed call sends the same message id: the callee answers with the task it already ran.
    const resumed = await (await caller.resume(first.runId)).result();
    expect(resumed).toMatchObject({ status: "completed", output: { paid: 70, by: "operator:local" } });
    expect((await callee.listRuns({ workflow: "payout" })).map((run) => run.id)).toEqual([taskId]);
  });
});
