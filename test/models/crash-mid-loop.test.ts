import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime, spendReport } from "../../src/index.ts";
import { startScriptedOpenAIServer } from "../../src/testing/index.ts";
import { crashLoopDefinitions } from "../fixtures/crash-model-loop.ts";
import { ledgerTotals } from "../governance/fixtures.ts";
import { crashChild } from "../helpers/crash.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

const fixture = join(import.meta.dirname, "../fixtures/crash-model-loop.ts");

describe.each(await dialects())("a model agent killed mid-loop on %s", (dialect) => {
  let location: TestStoreLocation;
  afterEach(async () => {
    delete process.env.CADRE_OPENAI_BASE_URL;
    await location?.cleanup();
  });

  it("resumes with earlier turns replayed from the journal: no model call made or paid twice", async () => {
    location = await freshStoreLocation(dialect);
    const server = await startScriptedOpenAIServer({
      script: [
        { toolCalls: [{ name: "fetch-page", arguments: { page: 1 } }], usage: { promptTokens: 100, completionTokens: 10 } },
        { toolCalls: [{ name: "fetch-page", arguments: { page: 2 } }], usage: { promptTokens: 200, completionTokens: 10 } },
        { text: "Both pages say hello.", usage: { promptTokens: 300, completionTokens: 20 } },
      ],
    });
    try {
      const marker = join(mkdtempSync(join(tmpdir(), "cadre-loop-")), "marker");
      const runId = await crashChild({ script: fixture, args: [location.location, marker], env: { CADRE_OPENAI_BASE_URL: server.baseURL }, reached: () => existsSync(marker), what: "the child to reach the second tool call" });
      expect(server.requestCount).toBe(2);

      process.env.CADRE_OPENAI_BASE_URL = server.baseURL;
      const { reader, workflow } = crashLoopDefinitions(marker);
      const runtime = await Runtime.open({ store: location.location, agents: [reader], workflows: [workflow] });
      try {
        const result = await (await runtime.resume(runId.trim(), { force: true })).result();
        expect(result).toMatchObject({ status: "completed", output: "Both pages say hello." });
        // Only the third model call reached the server after the crash.
        expect(server.requestCount).toBe(3);
        const models = await spendReport(runtime.store.db, { by: "model", runId: runId.trim() });
        expect(models).toEqual([{ key: "openai:gpt-4o-mini", calls: 3, inputTokens: 600, outputTokens: 40, spentMicros: 90 + 24 }]);
        const tools = await spendReport(runtime.store.db, { by: "tool", runId: runId.trim() });
        expect(tools).toEqual([expect.objectContaining({ key: "fetch-page", calls: 2 })]);
        const totals = await ledgerTotals(runtime.store);
        expect(totals.held).toBe(0);
        expect(totals.conserved).toBe(totals.funded);
      } finally {
        await runtime.close();
      }
    } finally {
      await server.close();
    }
  });
});
