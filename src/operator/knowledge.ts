import { InputValidationError } from "../errors.ts";
import { appendAudit } from "../governance/audit-log.ts";
import type { DataAccess } from "../governance/inventory.ts";
import type { CollectionRecord } from "../knowledge/collections.ts";
import type { KnowledgeCollection } from "../knowledge/define-knowledge.ts";
import type { DocumentRecord } from "../knowledge/documents.ts";
import type { IngestReport } from "../knowledge/ingest.ts";
import type { CollectionSummary, KnowledgeBase, RemovalReport } from "../knowledge/knowledge-base.ts";
import { forgetPrincipal, type ForgetReport } from "../knowledge/memory.ts";
import type { SearchMode, SearchResult } from "../knowledge/search.ts";
import { readSources, type SourceDocument } from "../knowledge/sources.ts";
import type { OperatorContext } from "./operator-context.ts";

/** How `add` creates a collection that does not exist yet. */
export interface NewCollectionOptions {
  /** Default `internal`. */
  dataAccess?: DataAccess;
  /** `provider:model-id`: enables vector and hybrid search. */
  embedding?: string;
  chunkSize?: number;
  chunkOverlap?: number;
  /** Retention in milliseconds. */
  ttl?: number;
}

/** What `add` did: whether it created the collection, and the ingestion report. */
export interface AddResult extends IngestReport {
  created: boolean;
}

/** Knowledge collections as a person or a program manages them: add, list, search, remove. Every change is audited. */
export class KnowledgeOperations {
  readonly #context: OperatorContext;
  readonly #knowledge: KnowledgeBase;

  constructor(context: OperatorContext, knowledge: KnowledgeBase) {
    this.#context = context;
    this.#knowledge = knowledge;
  }

  /**
   * Ingests files and directories (text, markdown, JSON lines; `baseDir` makes their sources
   * relative) or ready documents into a collection, creating it when it does not exist yet.
   * Re-adding a changed file replaces its chunks; an unchanged one is skipped.
   */
  async add(collection: string, input: { paths: readonly string[]; baseDir?: string } | { documents: readonly SourceDocument[] }, options: NewCollectionOptions = {}): Promise<AddResult> {
    const documents = "paths" in input ? readSources(input.paths, { baseDir: input.baseDir }) : input.documents;
    const { collection: record, created } = await this.#knowledge.ensureCollection({ name: collection, ...options });
    if (!created) refuseChangedSettings(record, options);
    const report = await this.#knowledge.add(collection, documents, { principal: this.#context.principal });
    return { ...report, created };
  }

  /** Records collections declared in code or configuration (created, or updated to match). */
  declare(collections: readonly KnowledgeCollection[]): Promise<void> {
    return this.#knowledge.declare(collections);
  }

  /** Every collection with its document and chunk counts. */
  list(): Promise<CollectionSummary[]> {
    return this.#knowledge.list();
  }

  /** The documents of one collection, by source. */
  async documents(collection: string): Promise<DocumentRecord[]> {
    await this.#knowledge.collection(collection);
    return this.#knowledge.documents(collection);
  }

  /** Ranked passages with their sources; audited as `knowledge.retrieved` (who saw which chunks). */
  async search(collection: string, query: string, options: { limit?: number; mode?: SearchMode } = {}): Promise<SearchResult> {
    const result = await this.#knowledge.search(collection, query, options);
    const { store, principal } = this.#context;
    await store.transaction((tx) =>
      appendAudit(tx, store.dialect, [
        {
          kind: "knowledge.retrieved",
          at: this.#context.now(),
          principal,
          data: { collection, query, mode: result.mode, embeddingTokens: result.embeddingTokens, hits: result.hits.map((hit) => ({ source: hit.source, documentId: hit.documentId, chunkId: hit.chunkId })) },
        },
      ]),
    );
    return result;
  }

  /** Removes documents by source (or a directory prefix ending in `/`), or the whole collection; audited as `knowledge.remove`. */
  remove(collection: string, options: { sources?: readonly string[] } = {}): Promise<RemovalReport> {
    return this.#knowledge.remove(collection, { sources: options.sources, principal: this.#context.principal });
  }
}

/** Agent memory as an operator manages it: forgetting a principal (a data-protection request). */
export class MemoryOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Deletes every memory of `principal` in every collection; the deletion is audited (`memory.forget`) with the ids it removed. */
  forget(principal: string, options: { reason?: string } = {}): Promise<ForgetReport> {
    return forgetPrincipal(this.#context.store, { principal, actor: this.#context.principal, now: this.#context.now(), reason: options.reason });
  }
}

/** Creation options given for an existing collection must match it: `add` never silently re-classifies a collection. */
function refuseChangedSettings(record: CollectionRecord, options: NewCollectionOptions): void {
  const differing = (
    [
      ["dataAccess", record.dataAccess],
      ["embedding", record.embedding],
      ["chunkSize", record.chunkSize],
      ["chunkOverlap", record.chunkOverlap],
      ["ttl", record.ttl],
    ] as const
  ).filter(([field, current]) => options[field] !== undefined && options[field] !== current);
  if (differing.length === 0) return;
  const [field, current] = differing[0]!;
  throw new InputValidationError({ message: `Collection "${record.name}" already exists with ${field} ${JSON.stringify(current)}, not ${JSON.stringify(options[field])}. Settings apply when a collection is created; change them with defineKnowledge in your config (or remove the collection and add it again).`, collection: record.name, field, current, requested: options[field] });
}
