import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cadre, repositoryRoot } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { startServe } from "../helpers/serve-child.ts";
import { openEventStream } from "./sse-client.ts";

const config = join(repositoryRoot, "test/fixtures/approval/cadre.config.ts");


describe.each(await dialects())("cadre serve as a real process (%s)", (dialect) => {
  let location: TestStoreLocation | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    await location?.cleanup();
    if (directory) rmSync(directory, { recursive: true, force: true });
    location = directory = undefined;
  });

  it("answers with a key made by `cadre keys create --operator`, runs an approval flow over HTTP, and shuts down cleanly on SIGTERM", async () => {
    location = await freshStoreLocation(dialect);
    directory = mkdtempSync(join(tmpdir(), "cadre-serve-"));
    const payoutLog = join(directory, "payouts.log");
    const created = cadre(["keys", "create", "--operator", "root", "--role", "admin", "--store", location.location]);
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^cadre_op_/);
    expect(created.stderr).toContain("shown only once");

    const serve = startServe(["--port", "0", "--config", config, "--store", location.location], { PAYOUT_LOG: payoutLog });
    const url = await serve.url;
    expect(new URL(url).hostname).toBe("127.0.0.1");
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    expect(await (await fetch(`${url}/api/me`, { headers })).json()).toEqual({ name: "root", role: "admin" });
    expect((await fetch(`${url}/api/me`)).status).toBe(401);

    const started = await fetch(`${url}/api/runs`, { method: "POST", headers, body: JSON.stringify({ workflow: "payout", input: { amount: 12 } }) });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };
    const stream = await openEventStream(`${url}/api/runs/${runId}/events`, { key });
    await stream.collect((message) => message.event === "wait");
    const approved = await fetch(`${url}/api/approvals/${runId}/payout/approve`, { method: "POST", headers, body: "{}" });
    expect(approved.status).toBe(200);
    expect((await stream.collect()).at(-1)).toMatchObject({ event: "run-end", data: { data: { status: "completed", output: { paid: 12, approvedBy: "root" } } } });
    expect(readFileSync(payoutLog, "utf8")).toBe("12\n");

    // A client following all runs when the server is told to stop: its stream ends, the process exits 0.
    const following = await openEventStream(`${url}/api/events`, { key });
    serve.child.kill("SIGTERM");
    expect(await following.collect()).toEqual([]);
    expect(await serve.exited).toBe(0);
    expect(serve.output().stderr).toContain("SIGTERM: shutting down");
    // The access log names requests, never the key.
    expect(serve.output().stderr).toContain("POST /api/runs 201 root");
    expect(serve.output().stderr).not.toContain(key);
    await expect(fetch(`${url}/api/me`, { headers })).rejects.toThrow();

    // The key is listed (never its secret) and can be revoked from the CLI.
    const listed = cadre(["keys", "list", "--operators", "--json", "--store", location.location]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ operator: "root", role: "admin", createdBy: expect.any(String), lastUsedAt: expect.any(Number) })]);
    expect(listed.stdout).not.toContain(key);
    const revoked = cadre(["keys", "revoke", "--operator", "root", "--store", location.location]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain("revoked 1 operator key");
  });
});

describe("cadre cancel", () => {
  it("cancels a waiting run from the command line: audited with the CLI's principal, its approval no longer pending", () => {
    const directory = mkdtempSync(join(tmpdir(), "cadre-cancel-"));
    const store = join(directory, "cadre.db");
    try {
      const run = cadre(["run", "payout", "--config", config, "--store", store, "--input", '{"amount":3}', "--json"], { env: { PAYOUT_LOG: join(directory, "log") } });
      expect(run.status, run.stderr).toBe(3);
      const { runId } = JSON.parse(run.stdout) as { runId: string };
      const cancelled = cadre(["cancel", runId, "--reason", "duplicate", "--config", config, "--store", store], { env: { CADRE_PRINCIPAL: "ops-bob" } });
      expect(cancelled.status, cancelled.stderr).toBe(0);
      expect(cancelled.stdout).toContain(`cancelled ${runId} (payout)`);
      expect(JSON.parse(cadre(["approvals", "--json", "--store", store]).stdout)).toEqual([]);
      const audit = cadre(["audit", "export", "--jsonl", "--store", store]).stdout.trim().split("\n").map((line) => JSON.parse(line) as { kind: string; principal: string; data: { reason?: string } });
      expect(audit.filter((record) => record.kind === "run.cancelled")).toEqual([expect.objectContaining({ principal: "ops-bob", data: expect.objectContaining({ reason: "duplicate" }) })]);
      expect(cadre(["cancel", runId, "--config", config, "--store", store]).stdout).toContain("already cancelled");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("cadre serve refusals", () => {
  it("--dev refuses a non-loopback host with a clear error and exit code 2, before opening anything", () => {
    const store = join(tmpdir(), `cadre-never-created-${process.pid}.db`);
    const refused = cadre(["serve", "--dev", "--host", "0.0.0.0", "--port", "0", "--store", store]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("error [CONFIGURATION]");
    expect(refused.stderr).toContain("--host 127.0.0.1");
    expect(refused.stdout).not.toContain("cadre serve:");
    expect(existsSync(store)).toBe(false);
  });

  it("a port in use is a clear error, exit code 2", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const store = join(mkdtempSync(join(tmpdir(), "cadre-port-")), "cadre.db");
      const refused = cadre(["serve", "--port", String(port), "--store", store]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain(`Cannot listen on 127.0.0.1:${port}: the port is in use`);
      rmSync(join(store, ".."), { recursive: true, force: true });
    } finally {
      taken.close();
    }
  });

  it("an operator key needs a known role and both flags", () => {
    const store = join(mkdtempSync(join(tmpdir(), "cadre-keys-")), "cadre.db");
    expect(cadre(["keys", "create", "--operator", "x", "--role", "root", "--store", store])).toMatchObject({ status: 2, stderr: expect.stringContaining("--role is one of viewer, approver, operator, admin") });
    expect(cadre(["keys", "create", "--operator", "x", "--store", store])).toMatchObject({ status: 2, stderr: expect.stringContaining("needs both --operator") });
    expect(cadre(["serve", "--port", "99999", "--store", store])).toMatchObject({ status: 2, stderr: expect.stringContaining("--port must be a whole number") });
    rmSync(join(store, ".."), { recursive: true, force: true });
  });
});
