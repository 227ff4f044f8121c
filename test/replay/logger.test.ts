import { describe, expect, it } from "vitest";
import { createLogger, logSettings } from "../../src/workflow/logger.ts";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe("the runtime's logger", () => {
  it("writes one JSON object a line with time, level, run, step, agent, workflow and message", () => {
    const { lines, destination } = capture();
    const run = createLogger({ runId: "run_1", workflow: "credit-decision" }, { settings: { enabled: true, format: "json", level: "info" }, destination });
    run.info("run started");
    run.child({ stepKey: "3:scoring", agent: "scoring" }).warn("low confidence", { confidence: 0.2 });
    run.debug("below the level: not written");
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: "info", runId: "run_1", stepKey: null, agent: null, workflow: "credit-decision", msg: "run started" },
      { time: expect.any(String), level: "warn", runId: "run_1", stepKey: "3:scoring", agent: "scoring", workflow: "credit-decision", msg: "low confidence", confidence: 0.2 },
    ]);
  });

  it("writes lines for people in the pretty format", () => {
    const { lines, destination } = capture();
    createLogger({ runId: "run_1", workflow: "greet" }, { settings: { enabled: true, format: "pretty", level: "info" }, destination }).child({ stepKey: "1:greeter", agent: "greeter" }).info("greeting", { name: "Ada" });
    expect(lines).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3} INFO  \[greet run_1 1:greeter greeter\] greeting name=Ada\n$/)]);
  });

  it("is human-readable on a terminal, JSON when asked, silent when piped and not asked", () => {
    expect(logSettings({}, true)).toEqual({ enabled: true, format: "pretty", level: "warn" });
    expect(logSettings({}, false)).toMatchObject({ enabled: false });
    expect(logSettings({ CADRE_LOG_FORMAT: "json" }, true)).toEqual({ enabled: true, format: "json", level: "info" });
    expect(logSettings({ CADRE_LOG_FORMAT: "json", CADRE_LOG_LEVEL: "debug" }, false)).toEqual({ enabled: true, format: "json", level: "debug" });
    const { lines, destination } = capture();
    createLogger({ runId: "run_1" }, { settings: logSettings({}, false), destination }).error("nobody asked");
    expect(lines).toEqual([]);
  });
});
