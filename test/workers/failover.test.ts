import { afterEach, describe, expect, it } from "vitest";
import { openStore, Runtime } from "../../src/index.ts";
import config from "../fixtures/workers/cadre.config.ts";
import { until } from "../helpers/crash.ts";
import { postgresAvailable, type TestStoreLocation } from "../helpers/stores.ts";
import type { EffectServer } from "../helpers/effect-server.ts";
import { expectBooksBalance, expectOneKeyPerEffect } from "./expectations.ts";
import { effectServer, freshQueueStore, killWorkers, startWorker, type WorkerProcess } from "./harness.ts";
// The examples' seeded generator (mulberry32): the same seed picks the same victims at the same moments.
import { seededRandom } from "../../examples/credit-risk/random.ts";

const postgres = await postgresAvailable();


describe.skipIf(!postgres)("failover under random kills", { timeout: 400_000 }, () => {
  let location: TestStoreLocation | undefined;
  let server: EffectServer<{ effect: string }> | undefined;
  let runtime: Runtime | undefined;
  const workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killWorkers(workers);
    await runtime?.close();
    await server?.close();
    await location?.cleanup();
  });

  it("kill -9 of a worker mid-step, three of five at random moments: every run completes on the survivors, each effect under one key, charged once", async () => {
    const seed = Number(process.env.CADRE_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    // Printed so a failure can be replayed with CADRE_TEST_SEED.
    console.log(`failover seed: ${seed}`);
    const context = `seed ${seed} (rerun with CADRE_TEST_SEED=${seed})`;

    location = await freshQueueStore();
    server = effectServer();
    const env = { CADRE_TEST_EFFECT_URL: await server.listen() };
    runtime = await Runtime.open({ ...config, store: location.location });
    // Five workers, three of which die: the kills follow each other without waiting for replacements to start.
    const live = await Promise.all(Array.from({ length: 5 }, () => startWorker(location!.location, env, ["--concurrency", "3"])));
    workers.push(...live);

    const runs = 24;
    const steps = 6;
    const handles = await Promise.all(Array.from({ length: runs }, (_, i) => runtime!.start("priced-steps", { tag: `f${i}`, count: steps })));
    const total = runs * steps;

    const interrupted: Array<{ pid: number; effects: string[] }> = [];
    for (let kill = 0; kill < 3; kill += 1) {
      // A random moment, measured in progress (requests the outside world saw), not in time.
      const moment = Math.floor(((kill + random()) / 4) * total);
      await until(() => server!.requests.length >= moment, `request ${moment} (${context})`, 120_000);
      // Mid-step: from now on no effect is answered; of the workers whose effect then reaches the server, one is picked at random.
      const seenBefore = server!.requests.length;
      server!.hold = () => true;
      const livePids = new Set(live.map((started) => started.child.pid));
      const midStep = () => [...new Set(server!.requests.slice(seenBefore).map((request) => request.pid))].filter((pid) => livePids.has(pid)).sort((a, b) => a - b);
      await until(() => midStep().length > 0, `a worker to be mid-step (${context})`, 120_000);
      const candidates = midStep();
      const pid = candidates[Math.floor(random() * candidates.length)]!;
      const victim = live.splice(live.findIndex((started) => started.child.pid === pid), 1)[0]!;
      victim.child.kill("SIGKILL");
      await victim.exited;
      interrupted.push({ pid, effects: server!.requests.slice(seenBefore).filter((request) => request.pid === pid).map((request) => request.effect) });
      // The survivors' held effects are answered now; the victim's go to a dead socket.
      server!.release();
    }

    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results.map((result) => [result.status, result.output]), context).toEqual(Array(runs).fill(["completed", steps]));
    const effects = Array.from({ length: runs }, (_, i) => Array.from({ length: steps }, (_, step) => `f${i}#${step}`)).flat();
    expectOneKeyPerEffect(server!, effects);
    // The step each victim died in was executed again by another process, under the same key.
    for (const { pid, effects: cut } of interrupted) {
      for (const effect of cut) {
        const senders = new Set(server!.requests.filter((request) => request.effect === effect).map((request) => request.pid));
        expect([...senders].some((sender) => sender !== pid), `${effect}, cut by the kill of ${pid}; ${context}`).toBe(true);
      }
    }

    const store = await openStore(location.location);
    try {
      // Charges = completed calls × price; no hold left open; money conserved; the audit chain verifies.
      await expectBooksBalance(store, location.location, effects.length);
    } finally {
      await store.close();
    }
  });
});
