import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../../src/index.ts";
import { crashWorkflow, readExecutions } from "../fixtures/crash-workflow.ts";
import { crashChild } from "../helpers/crash.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const fixture = join(import.meta.dirname, "../fixtures/crash-workflow.ts");

describe.each(await dialects())("crash and resume on %s", (dialect) => {
  let location: TestStoreLocation;
  afterEach(async () => location?.cleanup());

  it("a SIGKILLed run resumes: finished steps never run again, the interrupted one re-runs with the same idempotency key", async () => {
    location = await freshStoreLocation(dialect);
    const logPath = join(mkdtempSync(join(tmpdir(), "cadre-crash-")), "executions.jsonl");
    const runId = await crashChild({ script: fixture, args: [location.location, logPath], reached: () => readExecutions(logPath).some((execution) => execution.step === 3), what: "the child to reach step 3" });
    expect(runId).toMatch(/^run_/);

    const before = readExecutions(logPath);
    expect(before.map((execution) => execution.step)).toEqual([1, 2, 3]);

    const { worker, workflow } = crashWorkflow(logPath);
    const runtime = await Runtime.open({ store: location.location, agents: [worker], workflows: [workflow] });
    try {
      const interrupted = await runtime.getRun(runId);
      expect(interrupted?.status).toBe("running");
      // The dead process still holds the lease: a plain resume is refused, --force takes over.
      await expect(runtime.resume(runId)).rejects.toMatchObject({ code: "RUN_LEASED" });
      const result = await (await runtime.resume(runId, { force: true })).result();
      expect(result).toMatchObject({ status: "completed", output: 150 });

      const executions = readExecutions(logPath);
      expect(executions.map((execution) => execution.step)).toEqual([1, 2, 3, 3, 4, 5]);
      const stepThree = executions.filter((execution) => execution.step === 3);
      expect(stepThree[0]!.key).toBe(stepThree[1]!.key);
      expect(stepThree[0]!.pid).not.toBe(stepThree[1]!.pid);
      const steps = await runtime.getSteps(runId);
      expect(steps.find((step) => step.key === "3:worker")).toMatchObject({ attempt: 2, status: "completed" });
      expect(steps.filter((step) => step.attempt === 1)).toHaveLength(4);
    } finally {
      await runtime.close();
    }
  });
});
