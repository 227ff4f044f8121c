import { createHash } from "node:crypto";
import { appendAudit } from "../governance/audit-log.ts";
import type { Embedder } from "../models/embedding.ts";
import type { Db, Store, StoreDialect } from "../store/store.ts";
import { chunkText } from "./chunking.ts";
import { chunksMissingEmbedding, deleteChunksOfDocuments, insertChunks, storedEmbeddings, type NewChunk } from "./chunks.ts";
import type { CollectionRecord } from "./collections.ts";
import { documentId, getDocument, saveDocument, type DocumentRecord } from "./documents.ts";
import type { SourceDocument } from "./sources.ts";

/** What happened to one document of an ingestion. */
export interface IngestedDocument {
  source: string;
  documentId: string;
  status: "added" | "updated" | "unchanged";
  chunks: number;
}

/** What an ingestion did: per document, and the embedding work it took (and what it cost). */
export interface IngestReport {
  collection: string;
  documents: IngestedDocument[];
  /** Chunks written (of added and updated documents). */
  chunks: number;
  /** Chunks sent to the embedding model. */
  embedded: number;
  /** Chunks whose text was already embedded in the collection: their stored embedding was re-used. */
  reusedEmbeddings: number;
  embeddingModel: string | null;
  embeddingTokens: number;
  embeddingCostMicros: number;
}

/** Who a document belongs to, for memory records; and when it expires. */
export interface DocumentOwnership {
  agent?: string | null;
  principal?: string | null;
  thread?: string | null;
}

/** The writes an ingestion will make, prepared (chunked, embedded) before any transaction. */
export interface IngestPlan {
  report: IngestReport;
  writes: Array<{ document: DocumentRecord; chunks: NewChunk[]; replaced: boolean }>;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Chunks and embeds the documents that are new or changed; unchanged ones (same text, same
 * metadata, embedded by the collection's model) are left alone. A chunk whose text is already
 * embedded in the collection by the same model re-uses that embedding. Nothing is written.
 */
export async function prepareIngest(
  db: Db,
  options: { dialect: StoreDialect; collection: CollectionRecord; documents: readonly SourceDocument[]; embedder?: Embedder | undefined; now: number; ownership?: DocumentOwnership; signal?: AbortSignal },
): Promise<IngestPlan> {
  const { collection, embedder, now } = options;
  const report: IngestReport = { collection: collection.name, documents: [], chunks: 0, embedded: 0, reusedEmbeddings: 0, embeddingModel: embedder?.id ?? null, embeddingTokens: 0, embeddingCostMicros: 0 };
  const writes: IngestPlan["writes"] = [];
  const seen = new Set<string>();
  for (const source of options.documents) {
    if (seen.has(source.source)) continue;
    seen.add(source.source);
    const id = documentId(collection.name, source.source);
    const metadata = source.metadata ?? {};
    const contentHash = sha256(JSON.stringify([source.text, metadata, collection.chunkSize, collection.chunkOverlap]));
    const existing = await getDocument(db, id);
    const embeddingCurrent = !embedder || !existing || !(await chunksMissingEmbedding(db, id, embedder.id));
    if (existing && existing.contentHash === contentHash && embeddingCurrent) {
      report.documents.push({ source: source.source, documentId: id, status: "unchanged", chunks: existing.chunkCount });
      continue;
    }
    const texts = chunkText(source.text, { size: collection.chunkSize, overlap: collection.chunkOverlap });
    const chunks: NewChunk[] = texts.map((content, ordinal) => {
      const hash = sha256(content);
      return { id: `chk_${sha256(`${id}\u0000${ordinal}\u0000${hash}`).slice(0, 20)}`, documentId: id, collection: collection.name, ordinal, content, contentHash: hash, embedding: null, embeddingModel: null };
    });
    writes.push({
      document: {
        id,
        collection: collection.name,
        source: source.source,
        contentHash,
        metadata,
        agent: options.ownership?.agent ?? null,
        principal: options.ownership?.principal ?? null,
        thread: options.ownership?.thread ?? null,
        chunkCount: chunks.length,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        expiresAt: collection.ttl === null ? null : now + collection.ttl,
      },
      chunks,
      replaced: existing !== undefined,
    });
    report.documents.push({ source: source.source, documentId: id, status: existing ? "updated" : "added", chunks: chunks.length });
    report.chunks += chunks.length;
  }
  if (embedder) await embedChunks(db, { dialect: options.dialect, collection: collection.name, embedder, chunks: writes.flatMap((write) => write.chunks), report, signal: options.signal });
  return { report, writes };
}

/** Fills in the chunks' embeddings: stored ones re-used by text hash, the rest embedded in one call. */
async function embedChunks(db: Db, options: { dialect: StoreDialect; collection: string; embedder: Embedder; chunks: NewChunk[]; report: IngestReport; signal?: AbortSignal | undefined }): Promise<void> {
  const { embedder, chunks, report } = options;
  const known = new Map((await storedEmbeddings(db, options.dialect, { collection: options.collection, model: embedder.id, contentHashes: chunks.map((chunk) => chunk.contentHash) })).map((stored) => [stored.contentHash, stored.embedding]));
  const needed = [...new Map(chunks.filter((chunk) => !known.has(chunk.contentHash)).map((chunk) => [chunk.contentHash, chunk.content])).entries()];
  if (needed.length > 0) {
    const embeddings = await embedder.embed(needed.map(([, content]) => content), { signal: options.signal });
    needed.forEach(([hash], index) => known.set(hash, embeddings.vectors[index]!));
    report.embedded = needed.length;
    report.embeddingTokens = embeddings.tokens;
    report.embeddingCostMicros = embedder.costOf(embeddings.tokens);
  }
  for (const chunk of chunks) {
    chunk.embedding = known.get(chunk.contentHash)!;
    chunk.embeddingModel = embedder.id;
  }
  report.reusedEmbeddings = chunks.length - needed.length;
}

/** Writes a prepared ingestion: each changed document's old chunks are replaced by its new ones. */
export async function applyIngest(tx: Db, dialect: StoreDialect, plan: IngestPlan): Promise<void> {
  for (const write of plan.writes) {
    if (write.replaced) await deleteChunksOfDocuments(tx, dialect, [write.document.id]);
    await saveDocument(tx, write.document);
    await insertChunks(tx, dialect, write.chunks);
  }
}

/**
 * Ingests documents into a collection in one transaction, with a `knowledge.ingest` audit
 * record naming who added what (sources, document ids, embedding tokens and cost).
 */
export async function ingestDocuments(
  store: Store,
  options: { collection: CollectionRecord; documents: readonly SourceDocument[]; embedder?: Embedder | undefined; now: number; principal: string; signal?: AbortSignal },
): Promise<IngestReport> {
  const plan = await prepareIngest(store.db, { ...options, dialect: store.dialect });
  const { report } = plan;
  await store.transaction(async (tx) => {
    await applyIngest(tx, store.dialect, plan);
    const changed = report.documents.filter((document) => document.status !== "unchanged");
    await appendAudit(tx, store.dialect, [
      {
        kind: "knowledge.ingest",
        at: options.now,
        principal: options.principal,
        data: {
          collection: report.collection,
          documents: changed.map((document) => ({ source: document.source, id: document.documentId, status: document.status, chunks: document.chunks })),
          unchanged: report.documents.length - changed.length,
          chunks: report.chunks,
          embeddingModel: report.embeddingModel,
          embeddingTokens: report.embeddingTokens,
          embeddingCostMicros: report.embeddingCostMicros,
        },
      },
    ]);
  });
  return report;
}
