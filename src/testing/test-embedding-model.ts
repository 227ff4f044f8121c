import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result } from "@ai-sdk/provider";

export interface TestEmbeddingModelOptions {
  /** Vector length (default 256: few hash collisions between the words of a small corpus). */
  dimensions?: number;
  /** Defaults to `"test"`. */
  provider?: string;
  /** Defaults to `"hash-embedding"`. */
  modelId?: string;
}

/** An AI SDK embedding model whose calls are recorded. */
export interface TestEmbeddingModel extends EmbeddingModelV4 {
  /** The values of every `doEmbed` call, in order. */
  readonly calls: string[][];
}

const stopWords = new Set(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on", "or", "the", "to", "with", "what", "which", "how"]);

/** Lowercase words without stop words, with a plural `s` dropped: "Heat pumps" and "heat pump" embed alike. */
function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => !stopWords.has(word)).map((word) => (word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word));
}

/** FNV-1a: a stable 32-bit hash, so the same text gets the same vector on every machine. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) value = Math.imul(value ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return value;
}

/** Feature hashing of the text's terms into a unit vector: texts sharing words are close in cosine distance. */
export function hashEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const term of terms(text)) {
    const bucket = hash(term);
    vector[bucket % dimensions]! += bucket & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...vector);
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((component) => component / norm);
}

/**
 * A deterministic embedding model for tests and offline demos, through the AI SDK's provider
 * interface (spec v4): `embed`/`embedMany` call it like any hosted model. Usage is one token
 * per word, so embedding calls can be priced and metered exactly.
 */
export function createTestEmbeddingModel(options: TestEmbeddingModelOptions = {}): TestEmbeddingModel {
  const dimensions = options.dimensions ?? 256;
  const calls: string[][] = [];
  return {
    specificationVersion: "v4",
    provider: options.provider ?? "test",
    modelId: options.modelId ?? "hash-embedding",
    maxEmbeddingsPerCall: 256,
    supportsParallelCalls: true,
    calls,
    async doEmbed(call: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
      calls.push([...call.values]);
      const tokens = call.values.reduce((sum, value) => sum + (value.match(/\S+/g)?.length ?? 0), 0);
      return { embeddings: call.values.map((value) => hashEmbedding(value, dimensions)), usage: { tokens }, warnings: [] };
    },
  };
}
