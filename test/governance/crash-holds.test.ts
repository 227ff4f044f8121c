import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime, openOperator, usd } from "../../src/index.ts";
import { crashHoldsDefinitions } from "../fixtures/crash-holds.ts";
import { crashChild } from "../helpers/crash.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { auditKinds, ledgerTotals } from "./fixtures.ts";

const fixture = join(import.meta.dirname, "../fixtures/crash-holds.ts");

describe.each(await dialects())("crash with budget holds open on %s", (dialect) => {
  let location: TestStoreLocation;
  afterEach(async () => location?.cleanup());

  it("after kill -9 and resume the stale holds and grants are released, finished calls are not paid twice, and the ledger balances", async () => {
    location = await freshStoreLocation(dialect);
    const marker = join(mkdtempSync(join(tmpdir(), "cadre-holds-")), "marker");
    const runId = await crashChild({ script: fixture, args: [location.location, marker], reached: () => existsSync(marker), what: "the child to reach the hanging call" });

    const { payer, workflow } = crashHoldsDefinitions(marker);
    const runtime = await Runtime.open({ store: location.location, agents: [payer], workflows: [workflow] });
    try {
      const crashed = await ledgerTotals(runtime.store);
      expect(crashed.held).toBe(usd(0.2));
      expect(crashed.openHolds).toBe(1);
      expect(crashed.conserved).toBe(crashed.funded);
      const liveJitGrants = () => runtime.store.db.selectFrom("grants").select("id").where("kind", "=", "jit").where("run_id", "=", runId).where("revoked_at", "is", null).execute();
      expect(await liveJitGrants()).toHaveLength(1);

      const result = await (await runtime.resume(runId, { force: true })).result();
      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({ status: "completed", output: 6 });
      const after = await ledgerTotals(runtime.store);
      expect(after.held).toBe(0);
      expect(after.openHolds).toBe(0);
      expect(after.conserved).toBe(after.funded);
      // Calls 1 and 2 finished before the crash and were replayed from the journal: 3 charges, not 5.
      const operator = openOperator({ store: runtime.store });
      expect(await operator.runs.cost(runId)).toMatchObject({ spentMicros: usd(0.6), charges: 3 });
      const resume = (await auditKinds(runtime.store, runId)).find((record) => record.kind === "run.resume");
      expect(resume?.data).toMatchObject({ releasedHolds: 1, revokedGrants: 1, forced: true });
      // The re-run call got its grant again and gave it back when it ended.
      expect(await liveJitGrants()).toHaveLength(0);
      expect(await runtime.store.db.selectFrom("grants").select("id").where("run_id", "=", runId).execute()).toHaveLength(2);
      expect((await operator.budgets.accounts()).find((account) => account.id === "workflow:pay-three")?.balanceMicros).toBe(usd(5) - usd(0.6));
    } finally {
      await runtime.close();
    }
  });
});
