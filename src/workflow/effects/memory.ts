import type { Agent, AgentMemory, RecalledMemory } from "../../agent/define-agent.ts";
import type { AgentCallFrame } from "../../governance/gateway.ts";
import type { CollectionRecord } from "../../knowledge/collections.ts";
import type { IngestPlan } from "../../knowledge/ingest.ts";
import { defaultMemoryCollection, prepareMemory, writeMemory, type MemoryRecord, type RememberedMemory } from "../../knowledge/memory.ts";
import { ConfigurationError, InputValidationError } from "../../errors.ts";
import type { RememberInput, RememberTool } from "../../knowledge/memory-tool.ts";
import { parseInput } from "../validate.ts";
import { checkDataAccess, embeddingPrice, retrievedRecord } from "./knowledge-search.ts";
import { runEffect, type EffectSite } from "./effect.ts";

/**
 * An agent's long-term memory, when it declares `memory`: each `remember` and `recall` is a
 * governed step (grant `memory:remember` / `memory:recall` on the collection, the collection's
 * data-access level checked against the agent's, embeddings paid like model calls, audited).
 * Memories belong to the agent and to the run's principal: recall never returns another
 * principal's memories.
 */
export function agentMemory(site: EffectSite, agent: Agent, within: AgentCallFrame): AgentMemory | undefined {
  if (!agent.memory) return undefined;
  const name = agent.memory.collection ?? defaultMemoryCollection;
  let collection: Promise<CollectionRecord> | undefined;
  // Created when the runtime opened (Runtime.open records every agent's memory collection).
  const ensure = () => (collection ??= site.state.knowledge.collection(name));
  return {
    remember: async (record) => remember(site, { agent, within, collection: await ensure(), record: typeof record === "string" ? { text: record } : record }),
    recall: async (query, options = {}) => recall(site, { agent, within, collection: await ensure(), query, limit: options.limit ?? agent.memory?.recall ?? 5, thread: options.thread }),
  };
}

/** The `memory.remember` tool of a model-backed agent: validated input, then the same governed write as `context.memory.remember`. */
export function rememberWithTool(site: EffectSite, options: { agent: Agent; tool: RememberTool; input: unknown; memory: AgentMemory | undefined }): Promise<RememberedMemory> {
  const { agent, tool } = options;
  if (!options.memory) {
    const { key } = site.scope.next(tool.name);
    return Promise.reject(
      new ConfigurationError({ message: `Agent "${agent.name}" declares the ${tool.name} tool but no memory: add memory: {} (or memory: { recall: n }) to its definition.`, agent: agent.name, tool: tool.name, runId: site.state.runId, stepKey: key }),
    );
  }
  let parsed: RememberInput;
  try {
    parsed = parseInput(tool.input, options.input, `tool "${tool.name}"`);
  } catch (error) {
    return Promise.reject(error);
  }
  return options.memory.remember({ text: parsed.text, ...(parsed.thread ? { thread: parsed.thread } : {}) });
}

async function remember(site: EffectSite, options: { agent: Agent; within: AgentCallFrame; collection: CollectionRecord; record: MemoryRecord }): Promise<RememberedMemory> {
  const { state } = site;
  const { agent, collection, record } = options;
  const embedder = await state.knowledge.embedderFor(collection);
  let plan: IngestPlan | undefined;
  return runEffect(site, {
    type: "tool",
    name: "memory.remember",
    input: { collection: collection.name, ...record },
    agent,
    within: options.within,
    permission: { scope: "memory:remember", resource: collection.name },
    authorize: async (tx) => void (await checkDataAccess(tx, { agent, scope: "memory:remember", collection: collection.name, runId: state.runId })),
    price: embeddingPrice(embedder, () => [record.text], () => plan?.report.embeddingTokens ?? 0, "tool:memory.remember"),
    disclosure: (output) => ({ kind: "memory.remembered", data: { ...(output as RememberedMemory), forPrincipal: state.principal, thread: record.thread ?? null } }),
    execute: async (attempt) => {
      if (typeof record.text !== "string") throw new InputValidationError({ message: `Agent "${agent.name}" asked to remember something that is not text.`, agent: agent.name });
      const now = state.now();
      plan = await prepareMemory(state.knowledge, { collection, record, key: attempt.idempotencyKey, agent: agent.name, principal: state.principal, now, signal: attempt.signal });
      const prepared = plan;
      let written: RememberedMemory | undefined;
      // Fenced like every write of the run: a process that lost the run remembers nothing.
      await state.lease.write(async (tx) => void (written = (await writeMemory(tx, state.store.dialect, prepared, { collection: collection.name, now })).remembered));
      return written!;
    },
  });
}

async function recall(site: EffectSite, options: { agent: Agent; within: AgentCallFrame; collection: CollectionRecord; query: string; limit: number; thread?: string | undefined }): Promise<RecalledMemory[]> {
  const { state } = site;
  const { agent, collection, query } = options;
  const embedder = await state.knowledge.embedderFor(collection);
  let tokens = 0;
  return runEffect(site, {
    type: "tool",
    name: "memory.recall",
    input: { collection: collection.name, query, limit: options.limit, ...(options.thread ? { thread: options.thread } : {}) },
    agent,
    within: options.within,
    permission: { scope: "memory:recall", resource: collection.name },
    authorize: async (tx) => void (await checkDataAccess(tx, { agent, scope: "memory:recall", collection: collection.name, runId: state.runId })),
    price: embeddingPrice(embedder, () => [query], () => tokens, "tool:memory.recall"),
    disclosure: (output) => retrievedRecord(collection.name, query, { mode: "memory", hits: output as RecalledMemory[] }, { forPrincipal: state.principal }),
    execute: async (attempt) => {
      if (query.trim() === "") return [];
      const result = await state.knowledge.search(collection.name, query, { limit: options.limit, filter: { agent: agent.name, principal: state.principal, ...(options.thread ? { thread: options.thread } : {}) }, signal: attempt.signal });
      tokens = result.embeddingTokens;
      return result.hits.map((hit) => ({ text: hit.text, source: hit.source, documentId: hit.documentId, chunkId: hit.chunkId, thread: hit.thread ?? null, rememberedAt: hit.createdAt, score: hit.score }));
    },
  });
}
