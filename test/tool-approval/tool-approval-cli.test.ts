import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startScriptedOpenAIServer, type ChatCompletionRequest, type ScriptedOpenAIServer, type ScriptedResponse } from "../../src/testing/index.ts";
import { repositoryRoot, type CliResult } from "../helpers/cli.ts";

const config = join(import.meta.dirname, "../fixtures/tool-approval/cadre.config.ts");

/** The built CLI in a child process, without blocking this one: the scripted model server answers from here. */
function cadre(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repositoryRoot, "dist/cli/main.js"), ...args], { cwd: repositoryRoot, env: { ...process.env, NO_COLOR: "1", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Asks for a transfer of the amount in the request; once given the tool's result, reports it. */
function clerkScript(request: ChatCompletionRequest): ScriptedResponse {
  const toolResult = request.messages.find((message) => message.role === "tool");
  if (!toolResult) {
    const amount = Number(/\d+/.exec(JSON.stringify(request.messages.at(-1)?.content))![0]);
    return { toolCalls: [{ name: "transfer", arguments: { to: "acme", amount } }] };
  }
  return { text: String(toolResult.content).includes("APPROVAL_REJECTED") ? "The transfer was refused by an approver." : "Transferred." };
}

describe("tool approval through the CLI, across processes", () => {
  let server: ScriptedOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("the run parks before the call (exit 3); `cadre approve` runs it, `cadre reject` lets the model answer without it", async () => {
    server = await startScriptedOpenAIServer({ script: clerkScript });
    const directory = mkdtempSync(join(tmpdir(), "cadre-tool-approval-"));
    const log = join(directory, "transfers.log");
    const env = { CADRE_OPENAI_BASE_URL: server.baseURL, TRANSFER_LOG: log, CADRE_PRINCIPAL: "erin" };
    const run = (args: string[]) => cadre(["--store", join(directory, "cadre.db"), "--config", config, ...args], env);

    const started = await run(["run", "pay", "--input", JSON.stringify({ request: "pay acme 500" })]);
    expect(started.status).toBe(3);
    const runId = /run_[0-9a-z]+/.exec(started.stderr)![0];
    expect(existsSync(log)).toBe(false);
    const pending = JSON.parse((await run(["--json", "approvals"])).stdout);
    expect(pending).toEqual([expect.objectContaining({ runId, name: "tool:transfer", request: { agent: "clerk", tool: "transfer", input: { to: "acme", amount: 500 } } })]);

    const approved = await run(["approve", runId, "tool:transfer", "--note", "invoice checked"]);
    expect(approved.status).toBe(0);
    expect(JSON.parse(approved.stdout)).toBe("Transferred.");
    expect(readFileSync(log, "utf8")).toBe("acme 500\n");
    // The first turn came from the journal after the process exited: 1 + 1 model calls for the approved run.
    expect(server.requestCount).toBe(2);

    const second = await run(["run", "pay", "--input", JSON.stringify({ request: "pay acme 900" })]);
    const secondId = /run_[0-9a-z]+/.exec(second.stderr)![0];
    const rejected = await run(["reject", secondId, "tool:transfer", "--note", "no invoice"]);
    expect(rejected.status).toBe(0);
    expect(JSON.parse(rejected.stdout)).toBe("The transfer was refused by an approver.");
    expect(readFileSync(log, "utf8")).toBe("acme 500\n");

    // Small amounts need no one.
    const small = await run(["run", "pay", "--input", JSON.stringify({ request: "pay acme 50" })]);
    expect(small.status).toBe(0);
    expect(readFileSync(log, "utf8")).toBe("acme 500\nacme 50\n");
    expect((await run(["audit", "verify"])).status).toBe(0);
  }, 180_000);
});
