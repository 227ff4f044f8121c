import { appendAudit } from "../governance/audit-log.ts";
import { resolveEmbedder, type Embedder } from "../models/embedding.ts";
import type { ModelConfig } from "../models/model-registry.ts";
import type { Store } from "../store/store.ts";
import { chunkIdsOfDocuments, deleteChunksOfDocuments } from "./chunks.ts";
import { deleteCollectionRecord, getCollection, listCollectionRecords, requireCollection, upsertCollection, type CollectionRecord } from "./collections.ts";
import { defineKnowledge, type KnowledgeCollection, type KnowledgeDefinition } from "./define-knowledge.ts";
import { deleteDocumentRows, documentCounts, listDocuments, type DocumentRecord } from "./documents.ts";
import { ingestDocuments, type IngestReport } from "./ingest.ts";
import { InputValidationError } from "../errors.ts";
import { searchChunks, type SearchMode, type SearchResult } from "./search.ts";
import type { SourceDocument } from "./sources.ts";

/** A collection with how much it holds, for listings. */
export interface CollectionSummary extends CollectionRecord {
  documents: number;
  chunks: number;
}

/** What a removal deleted. */
export interface RemovalReport {
  collection: string;
  /** True when the whole collection was removed. */
  collectionRemoved: boolean;
  documents: Array<{ id: string; source: string }>;
  chunks: number;
}

export interface KnowledgeBaseOptions {
  store: Store;
  /** Embedding models are resolved from it (providers, instances, prices). */
  models?: ModelConfig | undefined;
  now?: () => number;
}

/**
 * Knowledge collections over a store: create, ingest, search, remove. The layer the runtime's
 * governed `knowledge.search` and memory effects and the operator API both use; it decides
 * nothing about agents (grants and data-access levels are checked by the gateway).
 */
export class KnowledgeBase {
  readonly store: Store;
  readonly #models: ModelConfig | undefined;
  readonly #now: () => number;
  readonly #embedders = new Map<string, Promise<Embedder>>();

  constructor(options: KnowledgeBaseOptions) {
    this.store = options.store;
    this.#models = options.models;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records declared collections (created or updated to match their definitions), then creates
   * with defaults (data access `internal`) the memory collections agents name that are not declared.
   */
  async declare(collections: readonly KnowledgeCollection[], memoryCollections: readonly string[] = []): Promise<void> {
    for (const collection of collections) await upsertCollection(this.store.db, collection, this.#now());
    for (const name of memoryCollections) if (!collections.some((collection) => collection.name === name)) await this.ensureCollection({ name });
  }

  /** The collection, or undefined when the store has none by that name. */
  find(name: string): Promise<CollectionRecord | undefined> {
    return getCollection(this.store.db, name);
  }

  collection(name: string): Promise<CollectionRecord> {
    return requireCollection(this.store.db, name);
  }

  /** The collection, created with `definition` (default data access `internal`) when it does not exist yet. */
  async ensureCollection(definition: KnowledgeDefinition): Promise<{ collection: CollectionRecord; created: boolean }> {
    const existing = await getCollection(this.store.db, definition.name);
    if (existing) return { collection: existing, created: false };
    await upsertCollection(this.store.db, defineKnowledge(definition), this.#now());
    return { collection: await requireCollection(this.store.db, definition.name), created: true };
  }

  async list(): Promise<CollectionSummary[]> {
    const counts = await documentCounts(this.store.db);
    return (await listCollectionRecords(this.store.db)).map((collection) => ({ ...collection, ...(counts.get(collection.name) ?? { documents: 0, chunks: 0 }) }));
  }

  documents(collection: string): Promise<DocumentRecord[]> {
    return listDocuments(this.store.db, collection);
  }

  /** The collection's embedding model, resolved once per model id. */
  embedderFor(collection: CollectionRecord): Promise<Embedder | undefined> {
    if (!collection.embedding) return Promise.resolve(undefined);
    let embedder = this.#embedders.get(collection.embedding);
    if (!embedder) {
      embedder = resolveEmbedder(collection.embedding, this.#models);
      embedder.catch(() => this.#embedders.delete(collection.embedding!));
      this.#embedders.set(collection.embedding, embedder);
    }
    return embedder;
  }

  /** Ingests documents (audited as `knowledge.ingest` by `principal`); unchanged ones are skipped. */
  async add(collectionName: string, documents: readonly SourceDocument[], options: { principal: string; signal?: AbortSignal }): Promise<IngestReport> {
    const collection = await this.collection(collectionName);
    return ingestDocuments(this.store, { collection, documents, embedder: await this.embedderFor(collection), now: this.#now(), principal: options.principal, signal: options.signal });
  }

  /** Searches a collection (not audited here: the governed effect and the operator audit their own reads). */
  async search(collectionName: string, query: string, options: { limit?: number; mode?: SearchMode; filter?: { agent?: string; principal?: string; thread?: string }; signal?: AbortSignal } = {}): Promise<SearchResult> {
    const collection = await this.collection(collectionName);
    if (query.trim() === "") throw new InputValidationError({ message: "A search needs a query: some words to look for.", collection: collectionName });
    const limit = options.limit ?? 5;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 100) throw new InputValidationError({ message: `A search's limit must be a whole number from 1 to 100; got ${limit}.`, collection: collectionName, limit });
    const embedder = options.mode === "fulltext" ? undefined : await this.embedderFor(collection);
    return searchChunks(this.store.db, this.store.dialect, { collection, query, limit, mode: options.mode, embedder, filter: options.filter, now: this.#now(), signal: options.signal });
  }

  /**
   * Removes documents by source (a file, or every document under a directory prefix ending in
   * `/`), or the whole collection when no source is named; audited as `knowledge.remove` with
   * the document and chunk ids deleted.
   */
  async remove(collectionName: string, options: { sources?: readonly string[]; principal: string }): Promise<RemovalReport> {
    const collection = await this.collection(collectionName);
    const all = await listDocuments(this.store.db, collection.name);
    const wanted = options.sources && options.sources.length > 0 ? options.sources : undefined;
    const documents = wanted ? all.filter((document) => wanted.some((source) => document.source === source || (source.endsWith("/") && document.source.startsWith(source)) || document.source.startsWith(`${source}#`))) : all;
    if (wanted && documents.length === 0) {
      throw new InputValidationError({ message: `Collection "${collection.name}" has no document with source ${wanted.map((source) => JSON.stringify(source)).join(", ")}. List them with \`cadre knowledge list ${collection.name}\`.`, collection: collection.name, sources: wanted });
    }
    return this.store.transaction(async (tx) => {
      const ids = documents.map((document) => document.id);
      const chunks = await chunkIdsOfDocuments(tx, ids);
      await deleteChunksOfDocuments(tx, this.store.dialect, ids);
      await deleteDocumentRows(tx, ids);
      if (!wanted) await deleteCollectionRecord(tx, collection.name);
      await appendAudit(tx, this.store.dialect, [
        {
          kind: "knowledge.remove",
          at: this.#now(),
          principal: options.principal,
          data: { collection: collection.name, collectionRemoved: !wanted, documents: documents.map((document) => ({ id: document.id, source: document.source })), chunks: chunks.map((chunk) => chunk.chunkId) },
        },
      ]);
      return { collection: collection.name, collectionRemoved: !wanted, documents: documents.map((document) => ({ id: document.id, source: document.source })), chunks: chunks.length };
    });
  }
}
