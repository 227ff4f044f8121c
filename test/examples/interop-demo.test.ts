import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore, receivedPayments, spendReport } from "../../src/index.ts";

const repositoryRoot = join(import.meta.dirname, "../..");

// The demo runs as a real process with a real `cadre serve` child: the bound only catches a hang, so it is wide.
describe("interop demo (npm run demo:interop)", () => {
  it("buys reports over A2A with x402 and calls MCP tools across two processes; the two ledgers reconcile", { timeout: 180_000 }, async () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-interop-demo-"));
    try {
      const demo = spawnSync(process.execPath, ["examples/interop/demo.ts", "--dir", directory, "--applicant", "A-1001", "--applicant", "A-1002"], { cwd: repositoryRoot, encoding: "utf8", timeout: 170_000 });
      expect(demo.stderr).toBe("");
      expect(demo.status).toBe(0);
      expect(demo.stdout).toMatch(/A-1001: approve/);
      expect(demo.stdout).toContain("the two ledgers reconcile");
      // What the demo printed, read back from both stores: 2 reports bought at 5 cents, each paid once.
      const lender = await openStore(join(directory, "lender.db"));
      const seller = await openStore(join(directory, "bureau-co.db"));
      try {
        const byTool = new Map((await spendReport(lender.db, { by: "tool" })).map((row) => [row.key, row]));
        expect(byTool.get("a2a.remote-bureau")).toMatchObject({ calls: 2, spentMicros: 100_000 });
        expect(byTool.get("mcp:bureau-co:sanctions-screen")).toMatchObject({ calls: 2, spentMicros: 4_000 });
        expect(byTool.get("mcp:bureau-co:transactions-summary")).toMatchObject({ calls: 2, spentMicros: 6_000 });
        const received = await receivedPayments(seller.db, { payer: "remote-bureau" });
        expect(received.map((payment) => payment.amount)).toEqual([50_000, 50_000]);
      } finally {
        await lender.close();
        await seller.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
