import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, openStore, Runtime } from "../../src/index.ts";
import config from "../fixtures/workers/cadre.config.ts";
import { auditKinds } from "../governance/fixtures.ts";
import { until } from "../helpers/crash.ts";
import { postgresAvailable, type TestStoreLocation } from "../helpers/stores.ts";
import type { EffectServer } from "../helpers/effect-server.ts";
import { effectServer, freshQueueStore, killWorkers, startWorker, type WorkerProcess } from "./harness.ts";

const postgres = await postgresAvailable();

describe("placement on agents", () => {
  it("labels must be plain words: anything else is a CONFIGURATION error naming the agent", () => {
    expect(() => defineAgent({ name: "odd", owner: "t", purpose: "p", input: z.string(), output: z.string(), placement: { region: "eu west" }, run: async () => "" })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: expect.objectContaining({ agent: "odd", field: "placement" }) }));
  });
});

describe.skipIf(!postgres)("placement on agents, with workers", { timeout: 300_000 }, () => {
  let location: TestStoreLocation | undefined;
  let server: EffectServer<{ effect: string }> | undefined;
  let runtime: Runtime | undefined;
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killWorkers(workers);
    await runtime?.close();
    await server?.close();
    await location?.cleanup();
  }, 60_000);

  it("distributed calls of a region=eu agent wait for a region=eu worker and run only there; a direct call on another worker is refused and audited", async () => {
    location = await freshQueueStore();
    server = effectServer();
    const env = { CADRE_TEST_EFFECT_URL: await server.listen() };
    runtime = await Runtime.open({ ...config, store: location.location });
    const plain = await startWorker(location.location, env, ["--concurrency", "4"]);
    workers.push(plain);

    const direct = await (await runtime.start("eu-direct", { tag: "x" })).result();
    expect(direct).toMatchObject({ status: "failed", error: { code: "PLACEMENT_MISMATCH", details: { agent: "eu-scorer", placement: { region: "eu" }, labels: {} } } });
    const store = await openStore(location.location);
    try {
      const refusals = (await auditKinds(store, direct.runId)).filter((record) => record.kind === "agent.placement_refused");
      expect(refusals).toHaveLength(1);
      expect(refusals[0]!.data).toMatchObject({ agent: "eu-scorer", placement: { region: "eu" }, labels: {} });

      const handle = await runtime.start("eu-fan-out", { tag: "e", count: 6 });
      // The parent runs on the plain worker; its branches wait, pending, for a region=eu worker.
      const branches = () => store.db.selectFrom("runs").select(["status"]).where("parent_run_id", "=", handle.runId).execute();
      let seen: Array<{ status: string }> = [];
      await until(async () => (seen = await branches()).length === 6, "six branch runs", 120_000, 100);
      // No region=eu worker yet: the parent has parked and its branches sit pending, unexecuted.
      await until(async () => (await runtime!.getRun(handle.runId))?.status === "waiting", "the parent to park", 120_000, 100);
      seen = await branches();
      expect(seen.map((branch) => branch.status)).toEqual(Array(6).fill("pending"));
      expect(server.requests).toHaveLength(0);

      const eu = await startWorker(location.location, env, ["--concurrency", "4", "--labels", "region=eu"]);
      workers.push(eu);
      const result = await handle.result();
      expect(result).toMatchObject({ status: "completed", output: [0, 1, 2, 3, 4, 5] });
      expect(new Set(server.requests.map((request) => request.pid))).toEqual(new Set([eu.child.pid]));
      const placed = (await auditKinds(store)).filter((record) => record.kind === "run.placed");
      expect(placed).toHaveLength(6);
      for (const record of placed) expect(record.data).toMatchObject({ placement: { region: "eu" }, labels: { region: "eu" } });
    } finally {
      await store.close();
    }
  });
});
