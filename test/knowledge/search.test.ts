import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openOperator, type Operator } from "../../src/index.ts";
import { dialects, openTestStore } from "../helpers/stores.ts";
import { auditOf, corpusCopy, corpusDirectory, embeddingModels, testEmbeddingId } from "./helpers.ts";

type Opened = Awaited<ReturnType<typeof openTestStore>>;

describe.each(await dialects())("knowledge search on %s", (dialect) => {
  let opened: Opened | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  async function operator(): Promise<{ operator: Operator; models: ReturnType<typeof embeddingModels> }> {
    opened = await openTestStore(dialect);
    const models = embeddingModels();
    return { operator: openOperator({ store: opened.store, principal: "alice", models, now: () => 1_800_000_000_000 }), models };
  }

  it("full text ranks the passage that matches the query first (bm25 / ts_rank), with its source", async () => {
    const { operator: op } = await operator();
    const added = await op.knowledge.add("energy", { paths: ["."], baseDir: corpusDirectory });
    expect(added.created).toBe(true);
    expect(added.documents.map((document) => document.source)).toEqual(["grid-storage.md", "heat-pumps.md", "hydrogen.md", "solar.txt", "wind.jsonl#offshore", "wind.jsonl#onshore", "wind.jsonl#repowering"]);
    const cases: Array<[string, string]> = [
      ["installer shortages for heat pumps", "heat-pumps.md"],
      ["electrolyzer investment decision", "hydrogen.md"],
      ["battery storage duck curve", "grid-storage.md"],
      ["module prices polysilicon", "solar.txt"],
      ["permitting delays for onshore wind", "wind.jsonl#onshore"],
    ];
    for (const [query, expected] of cases) {
      const result = await op.knowledge.search("energy", query);
      expect(result.mode, query).toBe("fulltext");
      expect(result.hits[0]?.source, query).toBe(expected);
      expect(result.hits[0]?.ranks, query).toEqual({ fulltext: 1 });
      // Scores are ordered best first.
      const scores = result.hits.map((hit) => hit.score);
      expect(scores, query).toEqual([...scores].sort((a, b) => b - a));
    }
    // Stemming: "pumps" finds "pump", "batteries" finds "battery".
    expect((await op.knowledge.search("energy", "batteries")).hits.map((hit) => hit.source)).toContain("grid-storage.md");
    // A query that is only punctuation or unknown words finds nothing rather than failing.
    expect((await op.knowledge.search("energy", "zyxwv qqq")).hits).toEqual([]);
    expect((await op.knowledge.search("energy", '"OR" NEAR( * ')).hits.length).toBeGreaterThanOrEqual(0);
  });

  it("re-adding unchanged files changes nothing; a changed file replaces its own chunks only", async () => {
    const { operator: op } = await operator();
    const base = corpusCopy();
    const first = await op.knowledge.add("energy", { paths: ["corpus"], baseDir: base });
    const before = await op.knowledge.documents("energy");
    const again = await op.knowledge.add("energy", { paths: ["corpus"], baseDir: base });
    expect(again.documents.every((document) => document.status === "unchanged")).toBe(true);
    expect(again.chunks).toBe(0);
    expect(await op.knowledge.documents("energy")).toEqual(before);
    expect((await op.knowledge.list())[0]).toMatchObject({ name: "energy", documents: 7, chunks: first.chunks });

    const file = join(base, "corpus", "solar.txt");
    writeFileSync(file, readFileSync(file, "utf8").replace("polysilicon capacity expanded", "wafer factories multiplied"));
    const changed = await op.knowledge.add("energy", { paths: ["corpus"], baseDir: base });
    expect(changed.documents.filter((document) => document.status !== "unchanged")).toEqual([expect.objectContaining({ source: "corpus/solar.txt", status: "updated" })]);
    expect((await op.knowledge.search("energy", "polysilicon")).hits).toEqual([]);
    expect((await op.knowledge.search("energy", "wafer factories")).hits[0]?.source).toBe("corpus/solar.txt");
    expect((await op.knowledge.list())[0]).toMatchObject({ documents: 7, chunks: first.chunks });

    const ingests = await auditOf(op, "knowledge.ingest");
    expect(ingests).toHaveLength(3);
    expect(ingests[2]).toMatchObject({ principal: "alice", data: { collection: "energy", unchanged: 6, documents: [expect.objectContaining({ source: "corpus/solar.txt", status: "updated" })] } });
  });

  it("remove deletes one source or the whole collection, audited with the chunk ids", async () => {
    const { operator: op } = await operator();
    await op.knowledge.add("energy", { paths: ["."], baseDir: corpusDirectory });
    const hydrogen = (await op.knowledge.search("energy", "electrolyzer")).hits[0]!;
    const removed = await op.knowledge.remove("energy", { sources: ["hydrogen.md"] });
    expect(removed).toMatchObject({ collectionRemoved: false, documents: [{ source: "hydrogen.md", id: hydrogen.documentId }], chunks: 1 });
    expect((await op.knowledge.search("energy", "electrolyzer")).hits).toEqual([]);
    await expect(op.knowledge.remove("energy", { sources: ["nope.md"] })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const all = await op.knowledge.remove("energy");
    expect(all).toMatchObject({ collectionRemoved: true, documents: expect.any(Array) });
    await expect(op.knowledge.search("energy", "wind")).rejects.toMatchObject({ code: "UNKNOWN_COLLECTION" });
    const records = await auditOf(op, "knowledge.remove");
    expect(records[0]?.data).toMatchObject({ collection: "energy", documents: [{ source: "hydrogen.md", id: hydrogen.documentId }], chunks: [hydrogen.chunkId] });
  });

  it("vector and hybrid search with an embedding model, where the store can compute distances", async () => {
    const { operator: op, models } = await operator();
    const added = await op.knowledge.add("energy", { paths: ["."], baseDir: corpusDirectory }, { embedding: testEmbeddingId });
    expect(added).toMatchObject({ embeddingModel: testEmbeddingId, embedded: added.chunks, reusedEmbeddings: 0 });
    // Priced from the token count the model reported: $1 per million tokens.
    expect(added.embeddingCostMicros).toBe(added.embeddingTokens);
    expect(models.embedder.calls).toHaveLength(1);

    const supported = dialect === "sqlite" || (await hasPgvector(op));
    if (!supported) {
      await expect(op.knowledge.search("energy", "wind turbines", { mode: "vector" })).rejects.toMatchObject({ code: "VECTOR_SEARCH_UNAVAILABLE", message: expect.stringContaining("pgvector") });
      const hybrid = await op.knowledge.search("energy", "wind turbines");
      expect(hybrid).toMatchObject({ mode: "fulltext", notice: expect.stringContaining("pgvector") });
      return;
    }
    const vector = await op.knowledge.search("energy", "cold climate coefficient of performance", { mode: "vector" });
    expect(vector.mode).toBe("vector");
    expect(vector.hits[0]?.source).toBe("heat-pumps.md");
    expect(vector.hits[0]?.ranks).toEqual({ vector: 1 });
    expect(vector.embeddingTokens).toBe(5);
    const hybrid = await op.knowledge.search("energy", "repowering wind farms with larger turbines");
    expect(hybrid.mode).toBe("hybrid");
    expect(hybrid.hits[0]).toMatchObject({ source: "wind.jsonl#repowering", ranks: { fulltext: 1, vector: 1 } });
    expect(hybrid.hits[0]!.score).toBeCloseTo(2 / 61, 10);
  });

  it("a changed chunk is embedded again; unchanged text re-uses its stored embedding", async () => {
    const { operator: op, models } = await operator();
    const base = corpusCopy();
    await op.knowledge.add("energy", { paths: ["corpus"], baseDir: base }, { embedding: testEmbeddingId, chunkSize: 200, chunkOverlap: 0 });
    const heat = join(base, "corpus", "heat-pumps.md");
    writeFileSync(heat, readFileSync(heat, "utf8").replace("Defrost cycles cost a few percent", "Defrost cycles cost little"));
    const changed = await op.knowledge.add("energy", { paths: ["corpus"], baseDir: base });
    const heatChunks = changed.documents.find((document) => document.source === "corpus/heat-pumps.md")!.chunks;
    expect(heatChunks).toBeGreaterThan(2);
    expect(changed.embedded).toBe(1);
    expect(changed.reusedEmbeddings).toBe(heatChunks - 1);
    expect(models.embedder.calls.at(-1)).toEqual([expect.stringContaining("Defrost cycles cost little")]);
  });

  it("refuses bad input with typed errors", async () => {
    const { operator: op } = await operator();
    await expect(op.knowledge.add("energy", { paths: ["missing-dir"], baseDir: corpusDirectory })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "missing-dir" } });
    await expect(op.knowledge.add("Energy!", { paths: ["."], baseDir: corpusDirectory })).rejects.toMatchObject({ code: "CONFIGURATION", fault: "input" });
    await op.knowledge.add("energy", { paths: ["hydrogen.md"], baseDir: corpusDirectory });
    await expect(op.knowledge.add("energy", { paths: ["solar.txt"], baseDir: corpusDirectory }, { dataAccess: "restricted" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { field: "dataAccess", current: "internal" } });
    await expect(op.knowledge.search("energy", "   ")).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(op.knowledge.search("energy", "hydrogen", { limit: 0 })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(op.knowledge.search("energy", "hydrogen", { mode: "vector" })).rejects.toMatchObject({ code: "VECTOR_SEARCH_UNAVAILABLE", message: expect.stringContaining("no embedding model") });
  });
});

async function hasPgvector(op: Operator): Promise<boolean> {
  // The operator has no SQL; ask the store through the public Store interface.
  void op;
  const { default: pg } = await import("pg");
  const { postgresUrl } = await import("../helpers/stores.ts");
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return (await client.query("select 1 from pg_extension where extname = 'vector'")).rowCount === 1;
  } finally {
    await client.end();
  }
}
