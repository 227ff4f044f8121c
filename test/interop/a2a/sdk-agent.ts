import type { Server } from "node:http";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { TaskState, type AgentCard, type Message } from "@a2a-js/sdk";
import express from "express";

/** What the test agent saw: every message (id, skill, input value, authorization header) in order. */
export interface SeenCall {
  messageId: string;
  skill: unknown;
  value: unknown;
  authorization: string | undefined;
}

/**
 * An A2A agent built with the SDK alone (Express, DefaultRequestHandler, an in-memory task
 * store): it adds up `{ a, b }` (skill "add") or shouts text (skill "shout"). With `price`,
 * every JSON-RPC call without an `x-payment` header is answered 402, as a paid endpoint would.
 * With `hangFirst`, the first call is recorded and never answered.
 */
export async function startSdkAgent(options: { price?: number; failWith?: string; hangFirst?: boolean } = {}): Promise<{ url: string; calls: SeenCall[]; cardFetches: () => number; close(): Promise<void> }> {
  const calls: SeenCall[] = [];
  let authorization: string | undefined;
  const executor: AgentExecutor = {
    execute: async (context, bus) => {
      const message = context.userMessage;
      const part = message.parts[0]?.content;
      const value = part?.$case === "data" || part?.$case === "text" ? part.value : undefined;
      calls.push({ messageId: message.messageId, skill: message.metadata?.skill, value, authorization });
      // The first call never answers: its caller is killed while it waits.
      if (options.hangFirst && calls.length === 1) return new Promise<void>(() => {});
      const task = { id: context.taskId, contextId: context.contextId, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [message], metadata: undefined };
      bus.publish(AgentEvent.task(task));
      if (options.failWith) {
        bus.publish(AgentEvent.statusUpdate({ taskId: task.id, contextId: task.contextId, status: { state: TaskState.TASK_STATE_FAILED, message: reply(task.id, task.contextId, { $case: "text", value: options.failWith }), timestamp: new Date().toISOString() }, metadata: undefined }));
        bus.finished();
        return;
      }
      const answer = message.metadata?.skill === "shout" ? { $case: "text" as const, value: String(value).toUpperCase() } : { $case: "data" as const, value: { sum: (value as { a: number }).a + (value as { b: number }).b } };
      bus.publish(AgentEvent.artifactUpdate({ taskId: task.id, contextId: task.contextId, artifact: { artifactId: "answer", name: "answer", description: "", parts: [{ content: answer, metadata: undefined, filename: "", mediaType: "" }], metadata: undefined, extensions: [] }, append: false, lastChunk: true, metadata: undefined }));
      bus.publish(AgentEvent.statusUpdate({ taskId: task.id, contextId: task.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
      bus.finished();
    },
    cancelTask: async () => {},
  };
  const app = express();
  let url = "";
  const card = (): AgentCard => ({
    name: "calculator",
    description: "Adds numbers and shouts.",
    supportedInterfaces: [{ url: `${url}/rpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }],
    provider: undefined,
    version: "1",
    capabilities: { streaming: true, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["application/json"],
    defaultOutputModes: ["application/json"],
    skills: [
      { id: "add", name: "add", description: "Adds a and b.", tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] },
      { id: "shout", name: "shout", description: "Upper-cases text.", tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] },
    ],
    signatures: [],
  });
  const handler = new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
  let cardFetches = 0;
  app.use("/.well-known/agent-card.json", (_req, _res, next) => {
    cardFetches += 1;
    next();
  });
  app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: async () => card() }));
  app.use("/rpc", (req, res, next) => {
    authorization = req.header("authorization");
    if (options.price && !req.header("x-payment")) {
      res.status(402).json({ error: "payment required", price: options.price });
      return;
    }
    next();
  });
  app.use("/rpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, "127.0.0.1", () => resolve(started));
  });
  const address = server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    calls,
    cardFetches: () => cardFetches,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(taskId: string, contextId: string, content: { $case: "text"; value: string }): Message {
  return { messageId: `${taskId}:reply`, contextId, taskId, role: 2, parts: [{ content, metadata: undefined, filename: "", mediaType: "" }], metadata: undefined, extensions: [], referenceTaskIds: [] };
}
