import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { createTestEmbeddingModel, type TestEmbeddingModel } from "../../src/testing/index.ts";
import type { ModelConfig } from "../../src/index.ts";

/** The small shipped corpus the ranking tests search. */
export const corpusDirectory = join(import.meta.dirname, "../fixtures/knowledge/corpus");

/** A copy of the corpus in a temp directory (removed after the test), for tests that change files. */
export function corpusCopy(): string {
  const directory = mkdtempSync(join(tmpdir(), "cadre-corpus-"));
  cpSync(corpusDirectory, join(directory, "corpus"), { recursive: true });
  copies.push(directory);
  return directory;
}
const copies: string[] = [];
afterEach(() => {
  for (const directory of copies.splice(0)) rmSync(directory, { recursive: true, force: true });
});

export const testEmbeddingId = "test:hash-embedding";

/** Models config with the deterministic test embedder, priced at $1 per million tokens so charges are exact. */
export function embeddingModels(model: TestEmbeddingModel = createTestEmbeddingModel()): ModelConfig & { embedder: TestEmbeddingModel } {
  return { embeddingInstances: { [testEmbeddingId]: model }, prices: { [testEmbeddingId]: { inputPerMillion: 1_000_000, outputPerMillion: 0 } }, embedder: model };
}

/** Every audit record of a kind, oldest first. */
export async function auditOf(operator: { audit: { export(options?: { runId?: string }): AsyncGenerator<{ kind: string }> } }, kind: string) {
  const records = [];
  for await (const record of operator.audit.export()) if (record.kind === kind) records.push(record);
  return records as Array<import("../../src/index.ts").AuditRecord>;
}
