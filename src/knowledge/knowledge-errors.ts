import { CadreError, type CadreErrorOptions } from "../errors.ts";

/** A collection that does not exist in the store (and is not declared in the configuration). */
export class UnknownCollectionError extends CadreError {
  constructor(details: { collection: string; known: string[] }, options?: CadreErrorOptions) {
    const known = details.known.length > 0 ? `Known collections: ${details.known.join(", ")}.` : "The store has no collections yet.";
    super("UNKNOWN_COLLECTION", `There is no knowledge collection "${details.collection}". ${known} Create it with \`cadre knowledge add ${details.collection} <files>\` or defineKnowledge in your config.`, { ...options, details });
  }
}

/** Vector search was asked for where the store cannot do it (no sqlite-vec, no pgvector) or the collection has no embedding model. */
export class VectorSearchUnavailableError extends CadreError {
  constructor(details: { collection: string; reason: string }, options?: CadreErrorOptions) {
    super("VECTOR_SEARCH_UNAVAILABLE", `Vector search on collection "${details.collection}" is unavailable: ${details.reason}. Full-text search (mode "fulltext") still works.`, { ...options, details });
  }
}
