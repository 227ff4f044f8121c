/**
 * `npm run demo:interop`: two organisations, two processes, two stores.
 *
 * Bureau Co. (a child process running `cadre serve --config examples/interop/bureau.config.ts`)
 * sells its credit-report agent over A2A for 5 cents a call, charged with x402 (scheme iou), and
 * offers two checks as MCP tools. The lender (this process) runs its credit-decision orchestrator,
 * which buys the report through a remote agent and calls the checks as MCP tools, each call
 * governed by the lender's grants and budgets. At the end, the lender's spend table shows what
 * each remote call cost, and the two ledgers are reconciled. Options: --applicant A-1003
 * (repeatable), --dir <folder for both stores> (default .cadre/interop-demo).
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Runtime, createPaymentKey, formatUsd, openOperator, openStore, receivedPayments, spendReport, trustPayer, verifyAuditChain, x402Payer } from "cadre";
import { lenderDefinitions } from "./lender.ts";

const { values } = parseArgs({ options: { applicant: { type: "string", multiple: true }, dir: { type: "string" } } });
const applicants = values.applicant ?? ["A-1001", "A-1002", "A-1003"];
// Both stores, made afresh on every run.
const directory = values.dir ?? join(".cadre", "interop-demo");
rmSync(directory, { recursive: true, force: true });
mkdirSync(directory, { recursive: true });
const sellerStore = join(directory, "bureau-co.db");
const lenderStore = join(directory, "lender.db");
const cli = join(import.meta.dirname, "../../dist/cli/main.js");
const config = join(import.meta.dirname, "bureau.config.ts");
const now = Date.now();

// 1. The lender's paying agent gets an Ed25519 payment key; Bureau Co. trusts its public key
//    (`cadre x402 keys create` / `cadre x402 trust`) and issues the lender an API key (`cadre keys create`).
const lenderSetup = await openStore(lenderStore);
const { publicKey } = await createPaymentKey(lenderSetup.db, "remote-bureau", now);
await lenderSetup.close();
const sellerSetup = await openStore(sellerStore);
await trustPayer(sellerSetup.db, { payer: "remote-bureau", publicKey, by: "interop demo", now });
const { secret: credential } = await openOperator({ store: sellerSetup, principal: "interop demo" }).keys.create({ operator: "lender-bank", role: "operator" });
await sellerSetup.close();

// 2. Bureau Co. serves A2A (+ x402) and MCP on a free port.
const seller = spawn(process.execPath, [cli, "serve", "--config", config, "--store", sellerStore, "--port", "0", "--pay-to", "bureau-co", "--quiet", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
// Its log is shown only if it fails.
let sellerLog = "";
seller.stderr!.on("data", (chunk: Buffer) => (sellerLog += chunk.toString()));
const sellerUrl = await new Promise<string>((resolve, reject) => {
  seller.once("exit", (code) => reject(new Error(`cadre serve exited with ${code} before listening:\n${sellerLog}`)));
  // --json prints one JSON object, over several lines: read until it parses.
  let printed = "";
  createInterface({ input: seller.stdout! }).on("line", (line) => {
    printed += line;
    try {
      resolve((JSON.parse(printed) as { url: string }).url);
    } catch {
      // not complete yet
    }
  });
});
console.log(`Bureau Co. (cadre serve, pid ${seller.pid}): ${sellerUrl}`);
console.log(`  A2A card ${sellerUrl}/a2a/bureau/.well-known/agent-card.json · MCP ${sellerUrl}/mcp · store ${sellerStore}\n`);

let runtime: Runtime | undefined;
let failed = 0;
try {
  // 3. The lender: its runtime connects the MCP server when it opens; the payer signs with the agent's key in the lender's store.
  const payer = x402Payer({ store: () => runtime!.store });
  const lender = lenderDefinitions({ sellerUrl, credential, payer });
  runtime = await Runtime.open({ store: lenderStore, agents: lender.agents, workflows: [lender.workflow], mcpServers: lender.mcpServers });
  console.log(`Lender (this process): workflow ${lender.workflow.name} · store ${lenderStore}`);
  for (const applicantId of applicants) {
    const handle = await runtime.start(lender.workflow, { applicantId });
    const result = await handle.result();
    if (result.status !== "completed" || !result.output) {
      failed += 1;
      console.log(`  ${applicantId}: run ${result.status}: ${result.error?.code ?? ""} ${result.error?.message ?? ""}`);
      continue;
    }
    const { decision, score, limitMicros } = result.output;
    console.log(`  ${applicantId}: ${decision.padEnd(7)} score ${String(score).padStart(3)}  limit ${formatUsd(limitMicros).padStart(10)}  run ${handle.runId}`);
  }

  // 4. What the remote calls cost the lender, by tool (the A2A call, the MCP tools), then the reconciliation.
  const byTool = await spendReport(runtime.store.db, { by: "tool" });
  console.log(`\nLender's spend by tool (cadre spend --by tool --store ${lenderStore}):`);
  console.log(`  ${"tool".padEnd(40)} ${"calls".padStart(5)} ${"spent".padStart(10)}`);
  for (const row of byTool) console.log(`  ${row.key.padEnd(40)} ${String(row.calls).padStart(5)} ${formatUsd(row.spentMicros).padStart(10)}`);
  const paidForReports = byTool.filter((row) => row.key.startsWith("a2a.")).reduce((sum, row) => sum + row.spentMicros, 0);

  const sellerRead = await openStore(sellerStore);
  const received = await receivedPayments(sellerRead.db, { payer: "remote-bureau" });
  await sellerRead.close();
  const receivedMicros = received.reduce((sum, payment) => sum + payment.amount, 0);
  console.log(`\nBureau Co. settled ${received.length} x402 payments from remote-bureau: ${formatUsd(receivedMicros)} (cadre x402 payments --store ${sellerStore})`);
  console.log(`Lender paid for bought reports: ${formatUsd(paidForReports)} → ${paidForReports === receivedMicros ? "the two ledgers reconcile" : "MISMATCH"}`);
  if (paidForReports !== receivedMicros) failed += 1;
  const audit = await verifyAuditChain(runtime.store.db);
  console.log(`Lender's audit chain: ${audit.ok ? `verified (${audit.records} records)` : `BROKEN at ${audit.brokenAt}`}`);
} finally {
  await runtime?.close();
  seller.kill("SIGTERM");
  await new Promise((resolve) => seller.once("exit", resolve));
}
process.exitCode = failed > 0 ? 1 : 0;
