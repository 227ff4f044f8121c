import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openOperator, openStore, type SearchMode, type SourceDocument } from "../src/index.ts";
import { createTestEmbeddingModel } from "../src/testing/index.ts";
import type { Figure } from "./engine.ts";
import { percentile } from "./stats.ts";

const embedding = "bench:hash-embedding";
const documentCount = 1_000;

/** A deterministic synthetic corpus: ~1 KB documents of words from a 2,000-word vocabulary (Zipf-like). */
function corpus(): SourceDocument[] {
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const vocabulary = Array.from({ length: 2_000 }, (_, index) => `w${index.toString(36)}${"abcdefghij"[index % 10]}`);
  const word = () => vocabulary[Math.floor(vocabulary.length * random() ** 2)]!;
  return Array.from({ length: documentCount }, (_, index) => ({
    source: `doc-${index}.md`,
    text: Array.from({ length: 8 }, () => `${Array.from({ length: 18 }, word).join(" ")}.`).join("\n\n"),
  }));
}

/** Ingestion and search on a SQLite file: 1,000 documents, full text and 256-dimension vectors (the deterministic test embedder, so the figures are the store's, not a provider's). */
export async function benchKnowledge(): Promise<Figure[]> {
  const directory = mkdtempSync(join(tmpdir(), "cadre-bench-knowledge-"));
  const store = await openStore(join(directory, "cadre.db"));
  try {
    const models = { embeddingInstances: { [embedding]: createTestEmbeddingModel() }, prices: { [embedding]: { inputPerMillion: 20_000, outputPerMillion: 0 } } };
    const operator = openOperator({ store, models, principal: "bench" });
    const documents = corpus();
    let started = performance.now();
    const added = await operator.knowledge.add("bench", { documents }, { embedding, chunkSize: 400, chunkOverlap: 60 });
    const ingestMs = performance.now() - started;
    started = performance.now();
    await operator.knowledge.add("bench", { documents });
    const unchangedMs = performance.now() - started;
    const figures: Figure[] = [
      { name: `ingest ${documentCount} docs (${added.chunks} chunks, embedded)`, value: `${ingestMs.toFixed(0)} ms (${((added.chunks / ingestMs) * 1000).toFixed(0)} chunks/s)` },
      { name: "re-add unchanged (content hashes only)", value: `${unchangedMs.toFixed(0)} ms` },
    ];
    const queries = documents.slice(0, 50).map((document) => document.text.split(" ").slice(3, 6).join(" "));
    for (const mode of ["fulltext", "vector", "hybrid"] as SearchMode[]) {
      const latencies: number[] = [];
      for (const query of queries) {
        const start = performance.now();
        await operator.knowledge.search("bench", query, { limit: 5, mode });
        latencies.push(performance.now() - start);
      }
      latencies.sort((a, b) => a - b);
      figures.push({ name: `search ${mode}, top 5 of ${added.chunks} chunks`, value: `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms` });
    }
    return figures;
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}
