import { createHash } from "node:crypto";
import type { KnowledgeDocumentsTable } from "../store/schema.ts";
import type { Db } from "../store/store.ts";

/** A document of a collection as the store holds it. */
export interface DocumentRecord {
  id: string;
  collection: string;
  source: string;
  contentHash: string;
  metadata: Record<string, unknown>;
  agent: string | null;
  principal: string | null;
  thread: string | null;
  chunkCount: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

/** A document's id: stable for (collection, source), so re-ingesting a file keeps its id. */
export function documentId(collection: string, source: string): string {
  return `doc_${createHash("sha256").update(`${collection}\u0000${source}`).digest("hex").slice(0, 20)}`;
}

function toRecord(row: KnowledgeDocumentsTable): DocumentRecord {
  return {
    id: row.id,
    collection: row.collection,
    source: row.source,
    contentHash: row.content_hash,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    agent: row.agent,
    principal: row.principal,
    thread: row.thread,
    chunkCount: row.chunk_count,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

export async function getDocument(db: Db, id: string): Promise<DocumentRecord | undefined> {
  const row = await db.selectFrom("knowledge_documents").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function getDocuments(db: Db, ids: readonly string[]): Promise<DocumentRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom("knowledge_documents").selectAll().where("id", "in", ids).execute()).map(toRecord);
}

/** Inserts or replaces a document's row (its chunks are written by chunks.ts). */
export async function saveDocument(db: Db, document: DocumentRecord): Promise<void> {
  const values = {
    collection: document.collection,
    source: document.source,
    content_hash: document.contentHash,
    metadata: JSON.stringify(document.metadata),
    agent: document.agent,
    principal: document.principal,
    thread: document.thread,
    chunk_count: document.chunkCount,
    updated_at: document.updatedAt,
    expires_at: document.expiresAt,
  };
  await db
    .insertInto("knowledge_documents")
    .values({ id: document.id, ...values, created_at: document.createdAt })
    .onConflict((conflict) => conflict.column("id").doUpdateSet(values))
    .execute();
}

export async function deleteDocumentRows(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom("knowledge_documents").where("id", "in", ids).execute();
}

/** Documents of a collection, by source; optionally only those whose source starts with `prefix`. */
export async function listDocuments(db: Db, collection: string, options: { sourcePrefix?: string } = {}): Promise<DocumentRecord[]> {
  let query = db.selectFrom("knowledge_documents").selectAll().where("collection", "=", collection);
  if (options.sourcePrefix !== undefined) query = query.where("source", "like", `${options.sourcePrefix.replace(/[\\%_]/g, "\\$&")}%`);
  return (await query.orderBy("source").execute()).map(toRecord);
}

/** Ids of the documents remembered for a principal (in every collection). */
export async function documentIdsOfPrincipal(db: Db, principal: string): Promise<Array<{ id: string; collection: string }>> {
  return db.selectFrom("knowledge_documents").select(["id", "collection"]).where("principal", "=", principal).orderBy("id").execute();
}

/** Ids of a collection's documents past their retention. */
export async function expiredDocumentIds(db: Db, collection: string, now: number): Promise<string[]> {
  const rows = await db.selectFrom("knowledge_documents").select("id").where("collection", "=", collection).where("expires_at", "is not", null).where("expires_at", "<=", now).execute();
  return rows.map((row) => row.id);
}

/** Documents and chunks per collection, for listings. */
export async function documentCounts(db: Db): Promise<Map<string, { documents: number; chunks: number }>> {
  const rows = await db
    .selectFrom("knowledge_documents")
    .select((eb) => ["collection", eb.fn.countAll<number>().as("documents"), eb.fn.sum<number>("chunk_count").as("chunks")])
    .groupBy("collection")
    .execute();
  return new Map(rows.map((row) => [row.collection, { documents: Number(row.documents), chunks: Number(row.chunks ?? 0) }]));
}
