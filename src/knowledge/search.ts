import type { Embedder } from "../models/embedding.ts";
import type { Db, StoreDialect } from "../store/store.ts";
import { fullTextSearch, vectorSearch, vectorSupport, type ChunkFilter, type ChunkMatch } from "./chunks.ts";
import type { CollectionRecord } from "./collections.ts";
import { VectorSearchUnavailableError } from "./knowledge-errors.ts";
import { fuseRankings } from "./ranking.ts";

/** How to rank: words (full text), meaning (vectors), or both fused (default when the collection has an embedding model). */
export type SearchMode = "hybrid" | "fulltext" | "vector";

/** One search result, with the ids an answer cites. */
export interface KnowledgeHit {
  collection: string;
  /** Where the text came from: the file (or `file#id` of a JSON line, or a memory's key). */
  source: string;
  documentId: string;
  chunkId: string;
  /** The chunk's position in its document, from 0. */
  ordinal: number;
  text: string;
  /** Higher is better: the fused score (hybrid), ts_rank or -bm25 (full text), 1 - cosine distance (vector). */
  score: number;
  /** Its rank in each list it came from (1 = first). */
  ranks: { fulltext?: number; vector?: number };
  metadata: Record<string, unknown>;
  /** For memory records: who remembered it, for whom, in which thread, when. */
  agent?: string | null;
  principal?: string | null;
  thread?: string | null;
  createdAt: number;
}

export interface SearchResult {
  mode: SearchMode;
  hits: KnowledgeHit[];
  /** Why the search ran in another mode than asked (hybrid without vectors). */
  notice?: string;
  /** Tokens of the query's embedding, for metering. */
  embeddingTokens: number;
  embeddingModel: string | null;
}

export interface SearchOptions {
  collection: CollectionRecord;
  query: string;
  limit?: number;
  mode?: SearchMode;
  /** The collection's embedding model, resolved: needed for vector and hybrid search. */
  embedder?: Embedder | undefined;
  /** Memory filters; retention always applies. */
  filter?: Omit<ChunkFilter, "collection" | "now">;
  now: number;
  signal?: AbortSignal;
}

const maxTerms = 32;

/** The words of a query as full-text terms: letters and digits only (nothing a query syntax could read), lowercase, once each. */
export function queryTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, maxTerms);
}

/**
 * Searches one collection: full text everywhere; vectors when it has an embedding model and
 * the store can compute distances; both fused by reciprocal rank in `hybrid` mode (the default
 * when vectors are possible). Asking for `vector` where it is impossible is an error; `hybrid`
 * falls back to full text and says why in `notice`.
 */
export async function searchChunks(db: Db, dialect: StoreDialect, options: SearchOptions): Promise<SearchResult> {
  const { collection } = options;
  const limit = options.limit ?? 5;
  const filter: ChunkFilter = { ...options.filter, collection: collection.name, now: options.now };
  const requested = options.mode ?? (collection.embedding ? "hybrid" : "fulltext");
  let notice: string | undefined;
  let vectorsPossible = false;
  if (requested !== "fulltext") {
    const reason = !collection.embedding || !options.embedder ? `collection "${collection.name}" has no embedding model (set one with defineKnowledge({ embedding }) or --embedding)` : await unsupported(db, dialect);
    if (reason && requested === "vector") throw new VectorSearchUnavailableError({ collection: collection.name, reason });
    if (reason) notice = `vector search unavailable, full text only: ${reason}`;
    vectorsPossible = reason === undefined;
  }
  const candidates = requested === "hybrid" ? limit * 4 : limit;
  const fullText = requested === "vector" ? [] : await fullTextSearch(db, dialect, { terms: queryTerms(options.query), filter, limit: candidates });
  let vector: ChunkMatch[] = [];
  let embeddingTokens = 0;
  if (vectorsPossible) {
    const embedded = await options.embedder!.embed([options.query], { signal: options.signal });
    embeddingTokens = embedded.tokens;
    vector = await vectorSearch(db, dialect, { vector: embedded.vectors[0]!, model: options.embedder!.id, filter, limit: candidates });
  }
  const mode: SearchMode = vectorsPossible ? requested : "fulltext";
  const hits = rank(collection.name, mode, fullText, vector, dialect).slice(0, limit);
  return { mode, hits, ...(notice ? { notice } : {}), embeddingTokens, embeddingModel: vectorsPossible ? options.embedder!.id : null };
}

async function unsupported(db: Db, dialect: StoreDialect): Promise<string | undefined> {
  const support = await vectorSupport(db, dialect);
  return support.available ? undefined : support.reason;
}

function rank(collection: string, mode: SearchMode, fullText: ChunkMatch[], vector: ChunkMatch[], dialect: StoreDialect): KnowledgeHit[] {
  // bm25 is lower-is-better (negative); ts_rank higher-is-better; cosine distance lower-is-better.
  const textScore = (match: ChunkMatch) => (dialect === "sqlite" ? -match.score : match.score);
  if (mode === "fulltext") return fullText.map((match, index) => toHit(collection, match, textScore(match), { fulltext: index + 1 }));
  if (mode === "vector") return vector.map((match, index) => toHit(collection, match, 1 - match.score, { vector: index + 1 }));
  const byId = new Map([...vector, ...fullText].map((match) => [match.chunkId, match]));
  return fuseRankings([fullText.map((match) => match.chunkId), vector.map((match) => match.chunkId)]).map((fused) =>
    toHit(collection, byId.get(fused.id)!, fused.score, { ...(fused.ranks[0] ? { fulltext: fused.ranks[0] } : {}), ...(fused.ranks[1] ? { vector: fused.ranks[1] } : {}) }),
  );
}

function toHit(collection: string, match: ChunkMatch, score: number, ranks: KnowledgeHit["ranks"]): KnowledgeHit {
  return {
    collection,
    source: match.source,
    documentId: match.documentId,
    chunkId: match.chunkId,
    ordinal: match.ordinal,
    text: match.content,
    score,
    ranks,
    metadata: match.metadata,
    ...(match.agent || match.principal || match.thread ? { agent: match.agent, principal: match.principal, thread: match.thread } : {}),
    createdAt: match.createdAt,
  };
}
