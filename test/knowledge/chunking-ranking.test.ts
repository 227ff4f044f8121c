import { describe, expect, it } from "vitest";
import { chunkText, defineKnowledge, fuseRankings } from "../../src/index.ts";

describe("chunking", () => {
  const text = Array.from({ length: 12 }, (_, index) => `Sentence number ${index + 1} talks about topic ${index + 1}.`).join(" ");

  it("cuts at sentence ends within the size, consecutive chunks sharing about the overlap", () => {
    const chunks = chunkText(text, { size: 120, overlap: 40 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(120);
    // Every chunk but the last ends a sentence: the cut prefers a sentence end to a space.
    for (const chunk of chunks.slice(0, -1)) expect(chunk).toMatch(/\.$/);
    // Consecutive chunks overlap: the start of each is found at the end of the previous one.
    for (let index = 1; index < chunks.length; index += 1) {
      const head = chunks[index]!.split(" ").slice(0, 2).join(" ");
      expect(chunks[index - 1]).toContain(head);
    }
    // Nothing is lost: every sentence is in some chunk.
    for (let index = 1; index <= 12; index += 1) expect(chunks.some((chunk) => chunk.includes(`topic ${index}.`))).toBe(true);
  });

  it("is deterministic, keeps short text whole and drops empty text", () => {
    expect(chunkText(text, { size: 120, overlap: 40 })).toEqual(chunkText(text, { size: 120, overlap: 40 }));
    expect(chunkText("  one short note \r\n", { size: 120, overlap: 40 })).toEqual(["one short note"]);
    expect(chunkText(" \n ", { size: 120, overlap: 40 })).toEqual([]);
  });

  it("prefers a paragraph break to a sentence end", () => {
    const paragraphs = `${"First paragraph sentence. ".repeat(3).trim()}\n\n${"Second paragraph sentence. ".repeat(3).trim()}`;
    expect(chunkText(paragraphs, { size: 100, overlap: 0 })[0]).toBe("First paragraph sentence. ".repeat(3).trim());
  });

  it("collection settings are checked when declared", () => {
    expect(() => defineKnowledge({ name: "Bad Name" })).toThrow(expect.objectContaining({ code: "CONFIGURATION", details: { collection: "Bad Name", field: "name" } }));
    expect(() => defineKnowledge({ name: "notes", chunkSize: 100, chunkOverlap: 60 })).toThrow(expect.objectContaining({ details: { collection: "notes", field: "chunkOverlap" } }));
    expect(() => defineKnowledge({ name: "notes", dataAccess: "secret" as never })).toThrow(expect.objectContaining({ details: { collection: "notes", field: "dataAccess" } }));
    expect(defineKnowledge({ name: "notes" })).toMatchObject({ dataAccess: "internal", chunkSize: 800, chunkOverlap: 120, embedding: null, ttl: null });
  });
});

describe("reciprocal rank fusion", () => {
  it("scores 1/(60+rank) per list, so agreement beats a single first place", () => {
    const fused = fuseRankings([
      ["a", "b", "c"],
      ["b", "d", "a"],
    ]);
    expect(fused.map((entry) => entry.id)).toEqual(["b", "a", "d", "c"]);
    expect(fused[0]).toEqual({ id: "b", score: 1 / 62 + 1 / 61, ranks: [2, 1] });
    expect(fused[1]).toEqual({ id: "a", score: 1 / 61 + 1 / 63, ranks: [1, 3] });
    expect(fused[2]).toEqual({ id: "d", score: 1 / 62, ranks: [null, 2] });
    expect(fused[3]).toEqual({ id: "c", score: 1 / 63, ranks: [3, null] });
  });
});
