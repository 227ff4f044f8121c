import { afterEach } from "vitest";
import { z } from "zod";
import { defineAgent, defineWorkflow, openOperator, Runtime, usd, type Operator } from "../../src/index.ts";
import { listen, type ListeningServer } from "../../src/server/listen.ts";
import type { ServerAuth } from "../../src/server/auth.ts";
import { paidTool } from "../governance/fixtures.ts";
import { auditor, batch, clerk, payout, spend } from "../operator/setup.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

/** A tool call that never returns by itself: it ends when its run is cancelled (its signal aborts). */
export const stall = paidTool({ name: "stall", price: usd(0.05), behaviour: () => new Promise<void>(() => {}) });
export const staller = defineAgent({
  name: "staller",
  owner: "ops",
  purpose: "waits on a tool that never answers",
  tools: [stall],
  grants: [{ scope: stall.scope }],
  input: z.object({}),
  output: z.any(),
  run: (_input, context) => context.tools.call(stall, { i: 1 }),
});
/** A run that stays running until it is cancelled. */
export const stuck = defineWorkflow({ name: "stuck", input: z.object({}), output: z.any(), budget: { allocation: usd(10), perRun: usd(1) }, run: (input, ctx) => ctx.call(staller, input) });

/** A run whose output is larger than an event carries. */
export const large = defineWorkflow({ name: "large", input: z.object({ bytes: z.number() }), output: z.string(), run: async ({ bytes }) => "x".repeat(bytes) });

export type Role = "viewer" | "approver" | "operator" | "admin";

export interface ServerFixture {
  location: TestStoreLocation;
  runtime: Runtime;
  /** The operator API over the same store, acting as `setup`. */
  operator: Operator;
  server: ListeningServer;
  /** A live key per role, for operators named after their role (`viewer`, `approver`, ...). */
  keys: Record<Role, string>;
  /** Calls the API with the key of `as` (none with `as: null`) and reads the JSON answer. */
  api(path: string, options?: { method?: string; body?: unknown; as?: Role | null; key?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

/**
 * A runtime on a fresh store of `dialect` (the operator tests' agents and workflows, plus
 * `stuck`), a key per role, and the API listening on 127.0.0.1, a free port. Everything is
 * closed and the store removed after each test. Call inside a `describe`.
 */
export function serverFixture(dialect: "sqlite" | "postgres") {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return async (options: { auth?: ServerAuth; heartbeatMs?: number; maxBodyBytes?: number; authFailures?: { limit?: number; windowMs?: number }; now?: () => number; log?: (line: string) => void } = {}): Promise<ServerFixture> => {
    const location = await freshStoreLocation(dialect);
    opened.push(() => location.cleanup());
    const runtime = await Runtime.open({ store: location.location, agents: [clerk, auditor, staller], workflows: [spend, payout, batch, stuck, large] });
    opened.push(() => runtime.close());
    const operator = openOperator({ store: runtime.store, principal: "setup" });
    const keys = {} as Record<Role, string>;
    for (const role of ["viewer", "approver", "operator", "admin"] as const) keys[role] = (await operator.keys.create({ operator: role, role })).secret;
    const server = await listen({ runtime, auth: options.auth ?? { mode: "keys" }, host: "127.0.0.1", port: 0, heartbeatMs: options.heartbeatMs, maxBodyBytes: options.maxBodyBytes, authFailures: options.authFailures, now: options.now, log: options.log });
    opened.push(() => server.close());
    const api: ServerFixture["api"] = async (path, request = {}) => {
      const key = request.key ?? (request.as === null ? undefined : keys[request.as ?? "admin"]);
      const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(request.body !== undefined ? { "content-type": "application/json" } : {}), ...request.headers };
      const response = await fetch(`${server.url}${path}`, { method: request.method ?? (request.body === undefined ? "GET" : "POST"), headers, body: request.body === undefined ? undefined : typeof request.body === "string" ? request.body : JSON.stringify(request.body) });
      const text = await response.text();
      return { status: response.status, body: text === "" ? undefined : JSON.parse(text), headers: response.headers };
    };
    return { location, runtime, operator, server, keys, api };
  };
}
