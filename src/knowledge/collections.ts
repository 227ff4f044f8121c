import type { DataAccess } from "../governance/inventory.ts";
import type { KnowledgeCollectionsTable } from "../store/schema.ts";
import type { Db } from "../store/store.ts";
import type { KnowledgeCollection } from "./define-knowledge.ts";
import { UnknownCollectionError } from "./knowledge-errors.ts";

/** A collection as the store holds it. */
export interface CollectionRecord {
  name: string;
  dataAccess: DataAccess;
  embedding: string | null;
  chunkSize: number;
  chunkOverlap: number;
  ttl: number | null;
  createdAt: number;
  updatedAt: number;
}

function toRecord(row: KnowledgeCollectionsTable): CollectionRecord {
  return {
    name: row.name,
    dataAccess: row.data_access as DataAccess,
    embedding: row.embedding_model,
    chunkSize: row.chunk_size,
    chunkOverlap: row.chunk_overlap,
    ttl: row.ttl_ms === null ? null : Number(row.ttl_ms),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export async function getCollection(db: Db, name: string): Promise<CollectionRecord | undefined> {
  const row = await db.selectFrom("knowledge_collections").selectAll().where("name", "=", name).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** The collection, or UNKNOWN_COLLECTION naming the ones that exist. */
export async function requireCollection(db: Db, name: string): Promise<CollectionRecord> {
  const found = await getCollection(db, name);
  if (found) return found;
  throw new UnknownCollectionError({ collection: name, known: (await listCollectionRecords(db)).map((collection) => collection.name) });
}

export async function listCollectionRecords(db: Db): Promise<CollectionRecord[]> {
  return (await db.selectFrom("knowledge_collections").selectAll().orderBy("name").execute()).map(toRecord);
}

/**
 * Records a declared collection: created when new, its settings replaced when they changed.
 * Returns whether anything was written. The embedding model is part of the settings: chunks
 * embedded by another model are embedded again on their next ingestion.
 */
export async function upsertCollection(db: Db, collection: KnowledgeCollection, now: number): Promise<"created" | "updated" | "unchanged"> {
  const existing = await getCollection(db, collection.name);
  const values = { data_access: collection.dataAccess, embedding_model: collection.embedding, chunk_size: collection.chunkSize, chunk_overlap: collection.chunkOverlap, ttl_ms: collection.ttl };
  if (!existing) {
    await db.insertInto("knowledge_collections").values({ name: collection.name, ...values, created_at: now, updated_at: now }).onConflict((conflict) => conflict.column("name").doNothing()).execute();
    return "created";
  }
  const same = existing.dataAccess === collection.dataAccess && existing.embedding === collection.embedding && existing.chunkSize === collection.chunkSize && existing.chunkOverlap === collection.chunkOverlap && existing.ttl === collection.ttl;
  if (same) return "unchanged";
  await db.updateTable("knowledge_collections").set({ ...values, updated_at: now }).where("name", "=", collection.name).execute();
  return "updated";
}

export async function deleteCollectionRecord(db: Db, name: string): Promise<void> {
  await db.deleteFrom("knowledge_collections").where("name", "=", name).execute();
}
