import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBureauServer, type BureauServer } from "../../examples/credit-risk/bureau-server.ts";
import { cadreAsync as cadre } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const config = "examples/credit-risk/cadre.config.ts";

/** Every stderr line as JSON: fails the test on a line that is not one JSON object. */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      expect(() => JSON.parse(line), line).not.toThrow();
      return JSON.parse(line) as Record<string, unknown>;
    });
}

describe.each(await dialects())("cadre replay and cadre fork (%s)", (dialect) => {
  let location: TestStoreLocation;
  let bureau: BureauServer;
  beforeEach(async () => {
    location = await freshStoreLocation(dialect);
    bureau = await startBureauServer({ latencyMs: [1, 5] });
  });
  afterEach(async () => {
    await bureau.close();
    await location.cleanup();
  });

  it("replays a run with no effects, fails on changed code naming the step, and forks with an overridden bureau answer", async () => {
    // A busy machine must not time the bureau out: the run would degrade to "bureau unavailable".
    const env = { CADRE_BUREAU_URL: bureau.url, CADRE_BUREAU_TIMEOUT_MS: "120000", CADRE_LOG_LEVEL: "debug" };
    const store = ["--store", location.location];
    const run = await cadre([...store, "--config", config, "--json", "--log-format", "json", "run", "credit-decision", "--input", '{"applicantId":"A-1001"}'], { env });
    expect(run.status, run.stderr).toBe(0);
    const { runId, output } = JSON.parse(run.stdout) as { runId: string; output: { decision: string } };
    // Structured logs: one JSON object a line, with the run, step, agent and workflow.
    const lines = jsonLines(run.stderr);
    expect(lines.find((line) => line.stepKey === "3:scoring")).toMatchObject({ runId, agent: "scoring", workflow: "credit-decision", level: "debug", msg: "step 3:scoring completed", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(lines.find((line) => line.msg === "run completed")).toMatchObject({ runId, stepKey: null, level: "info" });
    expect(bureau.stats().requests).toBe(1);

    const replay = await cadre([...store, "--config", config, "replay", runId], { env });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("replay consistent");
    expect(replay.stdout).toMatch(/2\.0\/1\.t\/1:bureau-report +tool +completed +journal +\{"applicantId":"A-1001"\}/);
    const json = await cadre([...store, "--config", config, "--json", "replay", runId], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ runId, verdict: "consistent", outcome: { status: "completed", output } });
    expect(bureau.stats().requests).toBe(1);

    const changed = await cadre([...store, "--config", "test/fixtures/replay/changed-credit.config.ts", "replay", runId], { env });
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain("replay diverged");
    expect(changed.stderr).toContain(`error [REPLAY_DIVERGED]: Run ${runId}, step 2.1/1:transactions diverges from its journal`);
    expect(changed.stderr).toContain("at $.months: journaled 12, now 6");

    const bureauAnswer = '{"applicantId":"A-1001","score":520,"delinquencies":6,"openAccounts":9,"utilization":0.95,"inquiries6m":7,"bureau":"cadre-demo-bureau"}';
    const fork = await cadre([...store, "--config", config, "--json", "fork", runId, "--from", "3:scoring", "--override", `2.0/1:credit-bureau=${bureauAnswer}`], { env });
    expect(fork.status, fork.stderr).toBe(0);
    const forked = JSON.parse(fork.stdout) as { runId: string; output: { decision: string }; cost: { charges: number } };
    expect(forked.output.decision).not.toBe(output.decision);
    expect(forked.cost.charges).toBe(0);
    expect(bureau.stats().requests).toBe(1);
    const show = await cadre([...store, "show", forked.runId]);
    expect(show.stdout).toContain(`forked from ${runId} at 3:scoring`);
    expect(show.stdout).toContain("overridden: 2.0/1:credit-bureau");
    expect((await cadre([...store, "show", runId])).stdout).toContain(`forks: ${forked.runId}`);

    const bad = await cadre([...store, "--config", config, "fork", runId, "--from", "3:scoring", "--override", "2.0/1:credit-bureau={not json"], { env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("error [INVALID_INPUT]: The output given to --override 2.0/1:credit-bureau is not valid JSON");
  }, 180_000);
});

describe("structured logs of agents", () => {
  it("an agent's context.logger lines carry its run, step, agent and workflow", async () => {
    const location = await freshStoreLocation("sqlite");
    try {
      const run = await cadre(["--store", location.location, "--config", "test/fixtures/replay/logging.config.ts", "--json", "--log-format", "json", "run", "greet", "--input", '{"name":"Ada"}']);
      expect(run.status, run.stderr).toBe(0);
      const { runId } = JSON.parse(run.stdout) as { runId: string };
      expect(jsonLines(run.stderr).find((line) => line.msg === "greeting")).toEqual({ time: expect.any(String), level: "info", runId, stepKey: "1:greeter", agent: "greeter", workflow: "greet", msg: "greeting", name: "Ada" });
      const bogus = await cadre(["--store", location.location, "--log-format", "xml", "runs"]);
      expect(bogus.status).toBe(2);
      expect(bogus.stderr).toContain('--log-format must be json or pretty; got "xml"');
    } finally {
      await location.cleanup();
    }
  });
});
