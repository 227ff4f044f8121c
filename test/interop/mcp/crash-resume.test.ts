import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../../../src/index.ts";
import { crashChild } from "../../helpers/crash.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../../helpers/stores.ts";
import { crashMcpDefinitions } from "./fixtures/crash-mcp-run.ts";
import { listenToolServer, newState } from "./fixtures/tool-server.ts";

const script = join(import.meta.dirname, "fixtures/crash-mcp-run.ts");

describe.each(await dialects())("a run calling MCP tools, killed mid-run, on %s", (dialect) => {
  let location: TestStoreLocation | undefined;
  afterEach(async () => location?.cleanup());

  it("resumes without repeating the completed MCP call; the interrupted one is sent again with the same idempotency key", { timeout: 120_000 }, async () => {
    location = await freshStoreLocation(dialect);
    const state = newState();
    state.gate.closed = true;
    const server = await listenToolServer(state);
    try {
      const runId = await crashChild({ script, args: [location.location, server.url], reached: () => state.calls.second === 1, what: "the child's run to be inside its second MCP call" });
      expect(state.calls.lookup).toBe(1);
      state.gate.closed = false;

      const { agent, workflow } = crashMcpDefinitions(server.url);
      const runtime = await Runtime.open({ store: location.location, agents: [agent], workflows: [workflow] });
      try {
        const result = await (await runtime.resume(runId, { force: true })).result();
        expect(result.error).toBeUndefined();
        expect(result).toMatchObject({ status: "completed", output: { name: "Customer C-1", second: "second 2" } });
        // The server saw the completed call once: the resumed run took its answer from the journal.
        expect(state.calls.lookup).toBe(1);
        expect(state.calls.second).toBe(2);
        const [killed, resumed] = state.metas.second!;
        expect(resumed!["cadre/idempotencyKey"]).toBe(killed!["cadre/idempotencyKey"]);
        expect(resumed!["cadre/runId"]).toBe(runId);
      } finally {
        await runtime.close();
      }
    } finally {
      await server.close();
    }
  });
});
