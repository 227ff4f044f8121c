import type { Agent } from "../../agent/define-agent.ts";
import type { AgentCallFrame, EffectPrice } from "../../governance/gateway.ts";
import { PermissionDeniedError } from "../../governance/governance-errors.ts";
import { requireCollection, type CollectionRecord } from "../../knowledge/collections.ts";
import { mayRead } from "../../knowledge/define-knowledge.ts";
import type { KnowledgeSearchInput, KnowledgeSearchOutput, KnowledgeTool } from "../../knowledge/knowledge-tool.ts";
import type { SearchResult } from "../../knowledge/search.ts";
import type { Embedder } from "../../models/embedding.ts";
import type { Db } from "../../store/store.ts";
import { parseInput, parseOutput } from "../validate.ts";
import { runEffect, type EffectSite } from "./effect.ts";

/** The collection an input names, before validation: the permission is decided on it. */
export function requestedCollection(input: unknown): string {
  const collection = (input as { collection?: unknown } | null)?.collection;
  return typeof collection === "string" ? collection : "";
}

/**
 * Refuses, in the authorizing transaction, a collection that does not exist or whose
 * data-access level is above the agent's: an `internal` agent never reads `confidential` text.
 */
export async function checkDataAccess(tx: Db, options: { agent: Agent; scope: string; collection: string; runId: string; allowed?: readonly string[] | null }): Promise<CollectionRecord> {
  const { agent, scope, collection } = options;
  const deny = (reason: string) => new PermissionDeniedError({ agent: agent.name, scope, resource: collection, reason, runId: options.runId });
  if (options.allowed && !options.allowed.includes(collection)) throw deny(`its ${scope.split(":")[0]} tool is limited to ${options.allowed.join(", ")}`);
  const record = await requireCollection(tx, collection);
  const level = agent.dataAccess ?? "none";
  if (!mayRead(level, record.dataAccess)) throw deny(`collection "${collection}" holds ${record.dataAccess} data and the agent's data-access level is ${level}`);
  return record;
}

/** What a search or a memory write costs: the embedding of its text, priced like a model call; nothing for full text alone. */
export function embeddingPrice(embedder: Embedder | undefined, texts: () => string[], tokensOf: (output: unknown) => number, fallbackSubject: string): EffectPrice {
  if (!embedder) return { subject: fallbackSubject, worstCase: () => 0, actual: () => ({ costMicros: 0, units: { calls: 1 } }) };
  return {
    subject: `model:${embedder.id}`,
    worstCase: () => embedder.worstCaseCost(texts()),
    actual: (output) => {
      const tokens = tokensOf(output);
      return { costMicros: embedder.costOf(tokens), units: { model: embedder.id, inputTokens: tokens, outputTokens: 0 } };
    },
  };
}

/** The record of who saw what: the documents and chunks a search returned, with their sources. */
export function retrievedRecord(collection: string, query: string, result: { mode: string; hits: Array<{ source: string; documentId: string; chunkId: string }> }, extra: Record<string, unknown> = {}) {
  return {
    kind: "knowledge.retrieved",
    data: { collection, query, mode: result.mode, ...extra, hits: result.hits.map((hit) => ({ source: hit.source, documentId: hit.documentId, chunkId: hit.chunkId })) },
  };
}

/**
 * An agent's `knowledge.search` call: a grant for `knowledge:<collection>`, the data-access
 * check, the query's embedding paid from the agent call's account, and a `knowledge.retrieved`
 * audit record naming every document and chunk returned.
 */
export async function knowledgeSearchCall(site: EffectSite, options: { agent: Agent; within: AgentCallFrame; tool: KnowledgeTool; input: unknown }): Promise<KnowledgeSearchOutput> {
  const { state } = site;
  const { agent, tool, input } = options;
  const collection = requestedCollection(input);
  const scope = `knowledge:${collection}`;
  // Resolved before the step: the reservation needs the embedding's price. A failure (no key) fails the step, journaled.
  const found = collection ? await state.knowledge.find(collection) : undefined;
  const embedding = found ? state.knowledge.embedderFor(found).then((embedder) => ({ embedder }), (error: unknown) => ({ error })) : Promise.resolve({ embedder: undefined });
  const resolved = await embedding;
  const embedder = "embedder" in resolved ? resolved.embedder : undefined;
  const query = String((input as { query?: unknown } | null)?.query ?? "");
  return runEffect(site, {
    type: "tool",
    name: tool.name,
    input,
    agent,
    within: options.within,
    permission: { scope, resource: collection },
    authorize: async (tx) => void (await checkDataAccess(tx, { agent, scope, collection, runId: state.runId, allowed: tool.knowledge.collections })),
    price: embeddingPrice(embedder, () => [query], (output) => (output as KnowledgeSearchOutput).embeddingTokens, `tool:${tool.name}`),
    disclosure: (output) => retrievedRecord(collection, query, output as KnowledgeSearchOutput),
    guard: state.guards.for(`tool:${tool.name}`, tool),
    timeoutMs: tool.timeout,
    execute: async (attempt) => {
      const parsed = parseInput(tool.input, input, `tool "${tool.name}"`) as KnowledgeSearchInput;
      if ("error" in resolved) throw resolved.error;
      const result: SearchResult = await state.knowledge.search(parsed.collection, parsed.query, { limit: parsed.limit ?? tool.knowledge.limit, signal: attempt.signal });
      const output: KnowledgeSearchOutput = {
        collection: parsed.collection,
        mode: result.mode,
        hits: result.hits.map((hit) => ({ source: hit.source, documentId: hit.documentId, chunkId: hit.chunkId, text: hit.text, score: hit.score })),
        ...(result.notice ? { notice: result.notice } : {}),
        embeddingTokens: result.embeddingTokens,
      };
      return parseOutput(tool.output, output, `tool "${tool.name}"`);
    },
  });
}
