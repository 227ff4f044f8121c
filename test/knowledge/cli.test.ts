import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cadre } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";
import { corpusDirectory } from "./helpers.ts";

/** `cadre knowledge` and `cadre memory` through the built CLI, with no config file. */
describe.each(await dialects())("knowledge CLI on %s", (dialect) => {
  let location: TestStoreLocation;
  let cwd: string;
  beforeEach(async () => {
    location = await freshStoreLocation(dialect);
    // A directory without cadre.config.ts: the commands must work with no config.
    cwd = mkdtempSync(join(tmpdir(), "cadre-knowledge-cli-"));
  });
  afterEach(async () => {
    await location.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });
  const run = (...args: string[]) => cadre(["--store", location.location, ...args], { cwd, env: { CADRE_PRINCIPAL: "librarian" } });
  const json = (...args: string[]) => {
    const result = run("--json", ...args);
    if (result.status !== 0) throw new Error(`cadre ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };

  it("add creates the collection (data access internal), search --json ranks hits with their source file, re-add changes nothing", () => {
    const added = run("knowledge", "add", "energy", corpusDirectory);
    expect(added.status).toBe(0);
    expect(added.stdout).toContain("created collection energy");
    expect(added.stdout).toContain("energy: 7 added, 0 updated, 0 unchanged; 7 chunks written");
    expect(json("knowledge", "list")).toEqual([expect.objectContaining({ name: "energy", dataAccess: "internal", embedding: null, documents: 7, chunks: 7 })]);

    const result = json("knowledge", "search", "energy", "electrolyzer", "orders", "--limit", "2");
    expect(result.mode).toBe("fulltext");
    expect(result.hits[0]).toMatchObject({ collection: "energy", source: expect.stringMatching(/hydrogen\.md$/), documentId: expect.stringMatching(/^doc_/), chunkId: expect.stringMatching(/^chk_/), ranks: { fulltext: 1 } });
    expect(result.hits.length).toBeLessThanOrEqual(2);

    const table = run("knowledge", "search", "energy", "offshore wind auctions");
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/1\s+\d+\.\d{4}\s+\S*wind\.jsonl#offshore\s+Offshore wind auctions stalled/);

    expect(run("knowledge", "add", "energy", corpusDirectory).stdout).toContain("energy: 0 added, 0 updated, 7 unchanged; 0 chunks written");
    const documents = json("knowledge", "list", "energy");
    expect(documents.map((document: { source: string }) => document.source.replace(/^.*corpus\//, ""))).toEqual(["grid-storage.md", "heat-pumps.md", "hydrogen.md", "solar.txt", "wind.jsonl#offshore", "wind.jsonl#onshore", "wind.jsonl#repowering"]);
  });

  it("remove takes a source or the whole collection; mistakes exit 2 with the error code", () => {
    run("knowledge", "add", "energy", join(corpusDirectory, "solar.txt"), join(corpusDirectory, "hydrogen.md"));
    const [hydrogen] = json("knowledge", "list", "energy").filter((document: { source: string }) => document.source.endsWith("hydrogen.md"));
    expect(json("knowledge", "remove", "energy", hydrogen.source)).toMatchObject({ collectionRemoved: false, documents: [{ source: hydrogen.source }], chunks: 1 });
    expect(json("knowledge", "remove", "energy")).toMatchObject({ collectionRemoved: true, chunks: 1 });

    const unknown = run("knowledge", "search", "energy", "solar");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("error [UNKNOWN_COLLECTION]");
    const missing = run("knowledge", "add", "energy", "no-such-file.md");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error [INVALID_INPUT]: Cannot read no-such-file.md");
    const badMode = run("knowledge", "search", "energy", "solar", "--mode", "magic");
    expect(badMode.status).toBe(2);
    const noVectors = run("knowledge", "add", "plain", join(corpusDirectory, "solar.txt"));
    expect(noVectors.status).toBe(0);
    const vector = run("--json", "knowledge", "search", "plain", "solar", "--mode", "vector");
    expect(vector.status).toBe(2);
    expect(JSON.parse(vector.stderr).error).toMatchObject({ code: "VECTOR_SEARCH_UNAVAILABLE" });
  });

  it("add uses the settings of a collection the config declares", () => {
    const config = join(cwd, "cadre.config.ts");
    writeFileSync(config, `export default { knowledge: [{ kind: "knowledge", name: "hr", dataAccess: "confidential", embedding: null, chunkSize: 300, chunkOverlap: 30, ttl: null }] };\n`);
    expect(run("knowledge", "add", "hr", join(corpusDirectory, "solar.txt")).status).toBe(0);
    expect(json("knowledge", "list")).toEqual([expect.objectContaining({ name: "hr", dataAccess: "confidential", chunkSize: 300, chunkOverlap: 30 })]);
    const refused = run("knowledge", "add", "hr", join(corpusDirectory, "solar.txt"), "--data-access", "public");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('already exists with dataAccess "confidential"');
  });

  it("memory forget --principal deletes and audits, and needs --principal", () => {
    // Nothing remembered yet for this principal: an empty, still audited, deletion.
    run("knowledge", "add", "energy", join(corpusDirectory, "solar.txt"));
    expect(json("memory", "forget", "--principal", "alice", "--reason", "request 42")).toEqual({ principal: "alice", documents: [], chunks: 0 });
    const exported = run("audit", "export");
    const records = exported.stdout.trim().split("\n").map((line) => JSON.parse(line)).filter((record: { kind: string }) => record.kind === "memory.forget");
    expect(records).toEqual([expect.objectContaining({ principal: "librarian", data: { forgotten: "alice", reason: "request 42", documents: [], chunks: [] } })]);
    const withoutPrincipal = run("memory", "forget");
    expect(withoutPrincipal.status).not.toBe(0);
    expect(withoutPrincipal.stderr).toContain("--principal");
  });
});
