import { sql, type RawBuilder } from "kysely";
import type { Db, StoreDialect } from "../store/store.ts";

/**
 * The owner of `knowledge_chunks` and, on SQLite, of its full-text index `knowledge_fts`
 * (FTS5, rowid = chunk seq). On PostgreSQL the index is the generated `tsv` column.
 * Searches join the chunk's document for its source, retention and memory filters.
 */

/** A chunk to store: its text, the hash of its text, and its embedding when the collection has a model. */
export interface NewChunk {
  id: string;
  documentId: string;
  collection: string;
  ordinal: number;
  content: string;
  contentHash: string;
  embedding: number[] | null;
  embeddingModel: string | null;
}

/** A stored chunk's embedding by the hash of its text, for re-using it when the same text comes again. */
export interface StoredEmbedding {
  contentHash: string;
  embedding: number[];
}

/** A chunk a search found, with its document's source and metadata. */
export interface ChunkMatch {
  chunkId: string;
  documentId: string;
  source: string;
  ordinal: number;
  content: string;
  metadata: Record<string, unknown>;
  agent: string | null;
  principal: string | null;
  thread: string | null;
  createdAt: number;
  /** bm25 (SQLite, lower is better), ts_rank (PostgreSQL, higher is better) or cosine distance (lower is better). */
  score: number;
}

/** Which documents a search may return: live ones (retention), and for memory those of one agent, principal or thread. */
export interface ChunkFilter {
  collection: string;
  now: number;
  agent?: string;
  principal?: string;
  thread?: string;
}

/**
 * On SQLite with sqlite-vec loaded, embeddings are kept as float32 blobs (`vec_f32`): a distance
 * then reads 4 bytes a dimension instead of parsing JSON text. Elsewhere they stay JSON text.
 */
export async function insertChunks(db: Db, dialect: StoreDialect, chunks: readonly NewChunk[]): Promise<void> {
  const packVectors = dialect === "sqlite" && chunks.some((chunk) => chunk.embedding) && (await vectorSupport(db, dialect)).available;
  for (const chunk of chunks) {
    const inserted = await db
      .insertInto("knowledge_chunks")
      .values({
        id: chunk.id,
        document_id: chunk.documentId,
        collection: chunk.collection,
        ordinal: chunk.ordinal,
        content: chunk.content,
        content_hash: chunk.contentHash,
        embedding: chunk.embedding ? JSON.stringify(chunk.embedding) : null,
        embedding_model: chunk.embeddingModel,
      })
      .returning("seq")
      .executeTakeFirstOrThrow();
    if (dialect === "sqlite") await sql`insert into knowledge_fts (rowid, content) values (${inserted.seq}, ${chunk.content})`.execute(db);
    if (packVectors && chunk.embedding) await sql`update knowledge_chunks set embedding = vec_f32(embedding) where seq = ${inserted.seq}`.execute(db);
  }
}

/** Deletes every chunk of the documents (and their full-text entries); returns how many. */
export async function deleteChunksOfDocuments(db: Db, dialect: StoreDialect, documentIds: readonly string[]): Promise<number> {
  if (documentIds.length === 0) return 0;
  const rows = await db.selectFrom("knowledge_chunks").select("seq").where("document_id", "in", documentIds).execute();
  if (rows.length === 0) return 0;
  if (dialect === "sqlite") {
    for (const row of rows) await sql`delete from knowledge_fts where rowid = ${row.seq}`.execute(db);
  }
  await db.deleteFrom("knowledge_chunks").where("document_id", "in", documentIds).execute();
  return rows.length;
}

/** The chunk ids of documents, in document and chunk order: what a deletion removes. */
export async function chunkIdsOfDocuments(db: Db, documentIds: readonly string[]): Promise<Array<{ documentId: string; chunkId: string }>> {
  if (documentIds.length === 0) return [];
  const rows = await db.selectFrom("knowledge_chunks").select(["document_id", "id"]).where("document_id", "in", documentIds).orderBy("document_id").orderBy("ordinal").execute();
  return rows.map((row) => ({ documentId: row.document_id, chunkId: row.id }));
}

/** Embeddings by `model` already stored in the collection for any of these texts: unchanged chunks are not embedded again. */
export async function storedEmbeddings(db: Db, dialect: StoreDialect, options: { collection: string; model: string; contentHashes: readonly string[] }): Promise<StoredEmbedding[]> {
  if (options.contentHashes.length === 0) return [];
  // Packed (float32 blob) embeddings are read back as JSON text.
  const packed = dialect === "sqlite" && (await vectorSupport(db, dialect)).available;
  const embedding = packed ? sql<string>`case when typeof(embedding) = 'blob' then vec_to_json(embedding) else embedding end` : sql<string>`embedding`;
  const rows = await db
    .selectFrom("knowledge_chunks")
    .select(["content_hash", embedding.as("embedding")])
    .where("collection", "=", options.collection)
    .where("embedding_model", "=", options.model)
    .where("embedding", "is not", null)
    .where("content_hash", "in", [...new Set(options.contentHashes)])
    .execute();
  return rows.map((row) => ({ contentHash: row.content_hash, embedding: JSON.parse(row.embedding!) as number[] }));
}

/** Whether any chunk of the collection lacks an embedding by `model` (so a re-ingestion must embed it). */
export async function chunksMissingEmbedding(db: Db, documentId: string, model: string): Promise<boolean> {
  const row = await db
    .selectFrom("knowledge_chunks")
    .select("id")
    .where("document_id", "=", documentId)
    .where((eb) => eb.or([eb("embedding_model", "is", null), eb("embedding_model", "!=", model)]))
    .executeTakeFirst();
  return row !== undefined;
}

function filterSql(filter: ChunkFilter): RawBuilder<unknown> {
  const conditions: Array<RawBuilder<unknown>> = [sql`c.collection = ${filter.collection}`, sql`(d.expires_at is null or d.expires_at > ${filter.now})`];
  if (filter.agent !== undefined) conditions.push(sql`d.agent = ${filter.agent}`);
  if (filter.principal !== undefined) conditions.push(sql`d.principal = ${filter.principal}`);
  if (filter.thread !== undefined) conditions.push(sql`d.thread = ${filter.thread}`);
  return sql.join(conditions, sql` and `);
}

const matchColumns = sql`c.id as chunk_id, c.document_id, d.source, c.ordinal, c.content, d.metadata, d.agent, d.principal, d.thread, d.created_at`;

interface MatchRow {
  chunk_id: string;
  document_id: string;
  source: string;
  ordinal: number;
  content: string;
  metadata: string;
  agent: string | null;
  principal: string | null;
  thread: string | null;
  created_at: number | string;
  score: number | string;
}

function toMatch(row: MatchRow): ChunkMatch {
  return {
    chunkId: row.chunk_id,
    documentId: row.document_id,
    source: row.source,
    ordinal: Number(row.ordinal),
    content: row.content,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    agent: row.agent,
    principal: row.principal,
    thread: row.thread,
    createdAt: Number(row.created_at),
    score: Number(row.score),
  };
}

/**
 * Full-text search, best first: FTS5 with bm25 on SQLite, `tsv @@ to_tsquery` with ts_rank on
 * PostgreSQL. `terms` are words (letters and digits only), any of which may match.
 */
export async function fullTextSearch(db: Db, dialect: StoreDialect, options: { terms: readonly string[]; filter: ChunkFilter; limit: number }): Promise<ChunkMatch[]> {
  if (options.terms.length === 0) return [];
  const where = filterSql(options.filter);
  if (dialect === "sqlite") {
    const match = options.terms.map((term) => `"${term}"`).join(" OR ");
    const result = await sql<MatchRow>`
      select ${matchColumns}, bm25(knowledge_fts) as score
      from knowledge_fts
      join knowledge_chunks c on c.seq = knowledge_fts.rowid
      join knowledge_documents d on d.id = c.document_id
      where knowledge_fts match ${match} and ${where}
      order by score, c.seq
      limit ${options.limit}`.execute(db);
    return result.rows.map(toMatch);
  }
  const query = options.terms.join(" | ");
  const result = await sql<MatchRow>`
    select ${matchColumns}, ts_rank(c.tsv, to_tsquery('english', ${query})) as score
    from knowledge_chunks c
    join knowledge_documents d on d.id = c.document_id
    where c.tsv @@ to_tsquery('english', ${query}) and ${where}
    order by score desc, c.seq
    limit ${options.limit}`.execute(db);
  return result.rows.map(toMatch);
}

/**
 * Nearest chunks by cosine distance to `vector`, among those embedded by `model`: sqlite-vec's
 * `vec_distance_cosine` on SQLite, pgvector's `<=>` on PostgreSQL. Exact (every chunk of the
 * collection is compared), which suits collections of thousands of chunks.
 */
export async function vectorSearch(db: Db, dialect: StoreDialect, options: { vector: readonly number[]; model: string; filter: ChunkFilter; limit: number }): Promise<ChunkMatch[]> {
  const where = filterSql(options.filter);
  const vector = JSON.stringify(options.vector);
  const distance = dialect === "sqlite" ? sql`vec_distance_cosine(c.embedding, ${vector})` : sql`(c.embedding::vector <=> ${vector}::vector)`;
  const result = await sql<MatchRow>`
    select ${matchColumns}, ${distance} as score
    from knowledge_chunks c
    join knowledge_documents d on d.id = c.document_id
    where c.embedding is not null and c.embedding_model = ${options.model} and ${where}
    order by score, c.seq
    limit ${options.limit}`.execute(db);
  return result.rows.map(toMatch);
}

/** Whether the store can compute vector distances: sqlite-vec loaded, or pgvector installed. Returns why not. */
export async function vectorSupport(db: Db, dialect: StoreDialect): Promise<{ available: true } | { available: false; reason: string }> {
  if (dialect === "sqlite") {
    try {
      await sql`select vec_version()`.execute(db);
      return { available: true };
    } catch {
      return { available: false, reason: "the sqlite-vec extension is not loaded (no prebuilt sqlite-vec library for this platform: npm ls sqlite-vec)" };
    }
  }
  const row = (await sql<{ extversion: string }>`select extversion from pg_extension where extname = 'vector'`.execute(db)).rows[0];
  if (row) return { available: true };
  return { available: false, reason: "the PostgreSQL database has no pgvector extension (install pgvector on the server, then run `create extension vector` in this database)" };
}
