import { appendAudit } from "../governance/audit-log.ts";
import { InputValidationError } from "../errors.ts";
import type { Db, Store, StoreDialect } from "../store/store.ts";
import { chunkIdsOfDocuments, deleteChunksOfDocuments } from "./chunks.ts";
import type { CollectionRecord } from "./collections.ts";
import { deleteDocumentRows, documentIdsOfPrincipal, expiredDocumentIds } from "./documents.ts";
import { applyIngest, prepareIngest, type IngestPlan } from "./ingest.ts";
import type { KnowledgeBase } from "./knowledge-base.ts";

/** The collection memories go to when an agent names none. */
export const defaultMemoryCollection = "memory";

/** How an agent uses long-term memory. */
export interface AgentMemorySettings {
  /** The collection its memories live in (default `memory`, created on first use with data access `internal`). */
  collection?: string;
  /** For model-backed agents: fetch this many memories relevant to the input into the system prompt before the first turn. */
  recall?: number;
  /** Whose memories are recalled: the run's principal (default), or also the agent's memories of every principal (`agent`). */
  scope?: "principal" | "agent";
}

/** One fact to remember. */
export interface MemoryRecord {
  text: string;
  /** A conversation or case the fact belongs to; recall can be narrowed to it. */
  thread?: string;
  metadata?: Record<string, unknown>;
}

/** A remembered fact as written: its ids, so an answer can cite it and `forget` can name it. */
export interface RememberedMemory {
  collection: string;
  documentId: string;
  chunkIds: string[];
  expiresAt: number | null;
}

/** The memory collection, created (data access `internal`) when it does not exist yet. */
export async function memoryCollection(knowledge: KnowledgeBase, name = defaultMemoryCollection): Promise<CollectionRecord> {
  return (await knowledge.ensureCollection({ name })).collection;
}

/**
 * Prepares a memory record (chunked, embedded): its source is `memory:<key>`, the key being
 * the step's idempotency key, so a retried or replayed write replaces itself instead of
 * remembering the same fact twice.
 */
export async function prepareMemory(
  knowledge: KnowledgeBase,
  options: { collection: CollectionRecord; record: MemoryRecord; key: string; agent: string; principal: string; now: number; signal?: AbortSignal },
): Promise<IngestPlan> {
  if (options.record.text.trim() === "") throw new InputValidationError({ message: "A memory needs some text to remember.", agent: options.agent });
  return prepareIngest(knowledge.store.db, {
    dialect: knowledge.store.dialect,
    collection: options.collection,
    documents: [{ source: `memory:${options.key}`, text: options.record.text, metadata: options.record.metadata ?? {} }],
    embedder: await knowledge.embedderFor(options.collection),
    now: options.now,
    ownership: { agent: options.agent, principal: options.principal, thread: options.record.thread ?? null },
    signal: options.signal,
  });
}

/** Writes a prepared memory and purges the collection's expired ones (retention), in the caller's transaction. */
export async function writeMemory(tx: Db, dialect: StoreDialect, plan: IngestPlan, options: { collection: string; now: number }): Promise<{ remembered: RememberedMemory; purged: string[] }> {
  const purged = await purgeExpired(tx, dialect, options.collection, options.now);
  await applyIngest(tx, dialect, plan);
  const write = plan.writes[0];
  const documentId = write?.document.id ?? plan.report.documents[0]!.documentId;
  return { remembered: { collection: options.collection, documentId, chunkIds: write ? write.chunks.map((chunk) => chunk.id) : [], expiresAt: write?.document.expiresAt ?? null }, purged };
}

/** Deletes the collection's documents past their retention; returns their ids. */
export async function purgeExpired(tx: Db, dialect: StoreDialect, collection: string, now: number): Promise<string[]> {
  const ids = await expiredDocumentIds(tx, collection, now);
  await deleteChunksOfDocuments(tx, dialect, ids);
  await deleteDocumentRows(tx, ids);
  return ids;
}

/** What `forget` deleted. */
export interface ForgetReport {
  principal: string;
  documents: Array<{ collection: string; id: string }>;
  chunks: number;
}

/**
 * Deletes everything remembered for a principal, in every collection (a data-protection
 * request), and audits the deletion itself (`memory.forget`: who asked, whose memories, which
 * document and chunk ids) in the same transaction.
 */
export async function forgetPrincipal(store: Store, options: { principal: string; actor: string; now: number; reason?: string }): Promise<ForgetReport> {
  if (options.principal.trim() === "") throw new InputValidationError({ message: "Name the principal whose memories to forget: --principal <id>." });
  return store.transaction(async (tx) => {
    const documents = await documentIdsOfPrincipal(tx, options.principal);
    const ids = documents.map((document) => document.id);
    const chunks = await chunkIdsOfDocuments(tx, ids);
    await deleteChunksOfDocuments(tx, store.dialect, ids);
    await deleteDocumentRows(tx, ids);
    await appendAudit(tx, store.dialect, [
      {
        kind: "memory.forget",
        at: options.now,
        principal: options.actor,
        data: { forgotten: options.principal, reason: options.reason ?? null, documents, chunks: chunks.map((chunk) => chunk.chunkId) },
      },
    ]);
    return { principal: options.principal, documents, chunks: chunks.length };
  });
}
