import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openOperator, Runtime } from "../../../src/index.ts";
import { readExecutions } from "../../fixtures/crash-workflow.ts";
import { crashChild } from "../../helpers/crash.ts";
import { crashCaller } from "./fixtures/crash-caller.ts";
import { startSdkAgent } from "./sdk-agent.ts";

const script = join(import.meta.dirname, "fixtures/crash-caller.ts");

describe("a remote A2A call across a crash (kill -9 of the calling process)", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function setup(options: { hangFirst?: boolean } = {}) {
    const directory = mkdtempSync(join(tmpdir(), "cadre-a2a-crash-"));
    closers.push(async () => rmSync(directory, { recursive: true, force: true }));
    const remote = await startSdkAgent(options);
    closers.push(remote.close);
    return { remote, store: join(directory, "caller.db"), log: join(directory, "executions.jsonl") };
  }

  it("a completed remote call is never repeated when the run resumes", { timeout: 120_000 }, async () => {
    const { remote, store, log } = await setup();
    const runId = await crashChild({ script, args: [store, remote.url, log], reached: () => readExecutions(log).length > 0, what: "the child to pass the remote call" });
    expect(remote.calls).toHaveLength(1);

    const { agents, workflow } = crashCaller(remote.url, log);
    const runtime = await Runtime.open({ store, agents, workflows: [workflow] });
    closers.push(() => runtime.close());
    const result = await (await runtime.resume(runId, { force: true })).result();
    expect(result).toMatchObject({ status: "completed", output: 42 });
    expect(remote.calls).toHaveLength(1);
    expect(readExecutions(log)).toHaveLength(2);
    // Charged once: the journaled call is not paid again.
    expect((await openOperator({ store: runtime.store }).runs.cost(runId)).spentMicros).toBe(1000);
  });

  it("a call cut off mid-flight is sent again with the same message id", { timeout: 120_000 }, async () => {
    const { remote, store, log } = await setup({ hangFirst: true });
    const runId = await crashChild({ script, args: [store, remote.url, log], reached: () => remote.calls.length > 0, what: "the remote to receive the call" });

    const { agents, workflow } = crashCaller(remote.url, log);
    const runtime = await Runtime.open({ store, agents, workflows: [workflow] });
    closers.push(() => runtime.close());
    const result = await (await runtime.resume(runId, { force: true })).result();
    expect(result).toMatchObject({ status: "completed", output: 42 });
    expect(remote.calls).toHaveLength(2);
    expect(remote.calls[1]!.messageId).toBe(remote.calls[0]!.messageId);
  });
});
