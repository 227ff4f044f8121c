import { join } from "node:path";
import { defineKnowledge, openOperator, type ModelConfig, type Store } from "cadre";

/** The team's research notes: markdown files, one per topic, shipped beside this file. */
export const notesDirectory = join(import.meta.dirname, "knowledge");

/**
 * The collection the researchers search. `embedding` enables hybrid search (full text and
 * vectors fused by reciprocal rank); without it, full text (FTS5 / tsvector) alone.
 */
export function energyNotes(embedding?: string) {
  return defineKnowledge({ name: "energy-notes", dataAccess: "internal", chunkSize: 150, chunkOverlap: 0, ...(embedding ? { embedding } : {}) });
}

/** Ingests the notes (unchanged files are skipped, so every demo run after the first re-embeds nothing). */
export async function ingestNotes(store: Store, models: ModelConfig) {
  return openOperator({ store, principal: "research-team", models }).knowledge.add("energy-notes", { paths: [notesDirectory], baseDir: import.meta.dirname });
}
