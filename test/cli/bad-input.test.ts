import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Runtime } from "../../src/index.ts";
import { agents, workflows } from "../fixtures/concurrent-open/definitions.ts";
import { cadre, type CliResult } from "../helpers/cli.ts";
import { dialects, freshStoreLocation, postgresAvailable, postgresUrl, type TestStoreLocation } from "../helpers/stores.ts";

/**
 * Every bad input through the built CLI: exit 2, a typed error code and a message that says
 * what to do, no stack trace, and the store exactly as it was (or not created at all).
 */

const temporaryDirectories: string[] = [];
function tempDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), `cadre-bad-${prefix}-`));
  temporaryDirectories.push(directory);
  return directory;
}
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

function expectRefused(result: CliResult, code: string, message?: RegExp | string): void {
  expect(result.stderr).toContain(`error [${code}]`);
  if (message) expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(result.status).toBe(2);
}

/** Everything a store holds, as one hash: the file's bytes on SQLite, every row of every table of the schema on PostgreSQL. */
async function fingerprint(location: string): Promise<string> {
  if (!location.startsWith("postgres")) return existsSync(location) ? sha256(readFileSync(location)) : "absent";
  const schema = new URL(location).searchParams.get("schema")!;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = $1 order by table_name", [schema]);
    const parts: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const rows = await client.query(`select coalesce(string_agg(t::text, '|' order by t::text), '') as rows from "${schema}"."${table}" t`);
      parts.push(`${table}:${rows.rows[0].rows}`);
    }
    return sha256(parts.join("\n"));
  } finally {
    await client.end();
  }
}

/** Writes a store the way a user would: agents registered, workflows funded, one run finished. */
async function populate(location: string): Promise<string> {
  const runtime = await Runtime.open({ store: location, agents, workflows, principal: "tests" });
  try {
    const handle = await runtime.start("intake", {});
    await handle.result();
    return handle.runId;
  } finally {
    await runtime.close();
  }
}

const readCommands = (runId: string) => [["runs"], ["show", runId], ["audit", "verify"], ["spend"], ["agents"], ["grants", "reader"], ["budget"], ["keys", "list", "reader"]];
/** Commands that change an agent: they need a store that already has it. */
const agentCommands = [["agents", "revoke", "reader"], ["grants", "reader", "--add", "extra:scope"], ["keys", "create", "reader"]];
const writeCommands = [["budget", "fund", "5"], ...agentCommands];

describe.each(await dialects())("bad input on %s", (dialect) => {
  let location: TestStoreLocation;
  let runId: string;
  const run = (...args: string[]) => cadre(["--store", location.location, ...args]);

  beforeAll(async () => {
    location = await freshStoreLocation(dialect);
    runId = await populate(location.location);
  });
  afterAll(async () => location?.cleanup());

  it.each([["1e300"], ["0"], ["NaN"], ["abc"], ["-5"], ["0.0000001"]])("cadre budget fund %s: the amount must be positive and at most a billion dollars", async (amount) => {
    const before = await fingerprint(location.location);
    expectRefused(run("budget", "fund", "--", amount), "INVALID_INPUT", /amount must be a positive number of dollars.*at most \$1,000,000,000/);
    expect(await fingerprint(location.location)).toBe(before);
  });

  it("an unknown agent is UNKNOWN_AGENT for every command that names one, listing the known agents", async () => {
    const before = await fingerprint(location.location);
    for (const args of [["grants", "no-such-agent"], ["grants", "no-such-agent", "--add", "tool:x"], ["agents", "revoke", "no-such-agent"], ["agents", "review", "no-such-agent"], ["keys", "list", "no-such-agent"], ["keys", "create", "no-such-agent"]]) {
      expectRefused(run(...args), "UNKNOWN_AGENT", 'No agent named "no-such-agent" in the inventory');
      expect(run(...args).stderr).toContain("Known agents: reader, writer.");
    }
    expect(await fingerprint(location.location)).toBe(before);
  });

  it("the commands that only read answer from the store and change nothing in it", async () => {
    const before = await fingerprint(location.location);
    for (const args of readCommands(runId)) {
      const result = run(...args);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
    expect(run("runs").stdout).toContain(runId);
    expect(run("grants", "reader").stdout).toContain("reader:write");
    expect(run("budget").stdout).toMatch(/workflow:settlement +workflow +\$25\.00/);
    expect(await fingerprint(location.location)).toBe(before);
  });
});

describe("bad store locations (SQLite)", () => {
  it("--store naming a directory is STORE_CONFIG and suggests a file in it; nothing is created there", () => {
    const directory = tempDirectory("dir");
    for (const args of [["runs"], ["budget", "fund", "5"], ["agents"]]) {
      expectRefused(cadre(["--store", directory, ...args]), "STORE_CONFIG", `it is a directory. Nothing was changed. Name a file in it, like --store ${join(directory, "cadre.db")}`);
    }
    expect(readdirSync(directory)).toEqual([]);
  });

  it("a command that only reads, or changes an agent, creates no store: STORE_NOT_FOUND, exit 2, no file or directory made", () => {
    const missing = join(tempDirectory("missing"), "no", "such", "dir", "x.db");
    for (const args of [...readCommands("run_x"), ...agentCommands, ["approvals"]]) {
      expectRefused(cadre(["--store", missing, ...args]), "STORE_NOT_FOUND", `No store at ${missing} (no such file). Nothing was created. Create one by running a workflow, or check --store / CADRE_STORE.`);
    }
    expectRefused(cadre(["audit", "verify"], { env: { CADRE_STORE: missing } }), "STORE_NOT_FOUND");
    expect(existsSync(join(missing, "../../../.."))).toBe(true);
    expect(existsSync(join(missing, "../../.."))).toBe(false);
  });

  it("a file that is not a store is refused as such, without change", () => {
    const path = join(tempDirectory("notes"), "notes.db");
    writeFileSync(path, "my notes\n".repeat(100));
    for (const args of [["runs"], ["budget", "fund", "5"]]) expectRefused(cadre(["--store", path, ...args]), "STORE_CORRUPT", "not a SQLite database");
    expect(readFileSync(path, "utf8")).toBe("my notes\n".repeat(100));
  });
});

/** Whether this machine lets the test make a file immutable (chattr +i, which stops even root). */
function immutableWorks(): boolean {
  const probe = join(tempDirectory("chattr"), "probe");
  writeFileSync(probe, "");
  if (spawnSync("chattr", ["+i", probe]).status !== 0) return false;
  try {
    appendFileSync(probe, "x");
    return false;
  } catch {
    return true;
  } finally {
    spawnSync("chattr", ["-i", probe]);
  }
}

/** Whether this machine lets the test mount file systems (root in a namespace that allows mount). */
function mountWorks(): boolean {
  const point = tempDirectory("mount");
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", point]).status !== 0) return false;
  spawnSync("umount", [point]);
  return true;
}

const canMakeImmutable = immutableWorks();
const canMount = mountWorks();

describe("a SQLite store that cannot be written", () => {
  let directory: string;
  let path: string;
  let runId: string;
  const mounted: string[] = [];

  beforeAll(async () => {
    directory = tempDirectory("ro");
    path = join(directory, "cadre.db");
    runId = await populate(path);
  });
  afterAll(() => {
    for (const point of mounted.reverse()) spawnSync("umount", [point]);
    spawnSync("chattr", ["-i", path]);
    spawnSync("chattr", ["-i", directory]);
  });

  /** Read commands answer as usual; write commands are STORE_READ_ONLY naming `reason`; the file keeps every byte. */
  function expectReadOnly(store: string, reason: string): void {
    const before = sha256(readFileSync(store));
    for (const args of readCommands(runId)) {
      const result = cadre(["--store", store, ...args]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
    expect(cadre(["--store", store, "runs"]).stdout).toContain(runId);
    for (const args of writeCommands) {
      const result = cadre(["--store", store, ...args]);
      expectRefused(result, "STORE_READ_ONLY", `cannot be written: ${reason}. Nothing was changed and the store is intact.`);
      expect(result.stderr).not.toMatch(/corrupt|backup/i);
    }
    expect(sha256(readFileSync(store))).toBe(before);
  }

  it.skipIf(!canMakeImmutable)("a read-only file (immutable attribute)", () => {
    spawnSync("chattr", ["+i", path]);
    try {
      expectReadOnly(path, "the file is read-only (immutable attribute)");
    } finally {
      spawnSync("chattr", ["-i", path]);
    }
  });

  it.skipIf(!canMakeImmutable)("a read-only directory (immutable attribute): SQLite cannot make its -wal and -shm files there", () => {
    for (const sideFile of ["cadre.db-wal", "cadre.db-shm"]) rmSync(join(directory, sideFile), { force: true });
    spawnSync("chattr", ["+i", directory]);
    try {
      expectReadOnly(path, `its directory ${directory} is read-only (immutable attribute)`);
    } finally {
      spawnSync("chattr", ["-i", directory]);
    }
  });

  it.skipIf(!canMount)("a read-only mount", () => {
    for (const sideFile of ["cadre.db-wal", "cadre.db-shm"]) rmSync(join(directory, sideFile), { force: true });
    const point = tempDirectory("ro-mount");
    expect(spawnSync("mount", ["--bind", directory, point]).status).toBe(0);
    mounted.push(point);
    expect(spawnSync("mount", ["-o", "remount,ro,bind", point]).status).toBe(0);
    expectReadOnly(join(point, "cadre.db"), "the file is on a read-only file system");
  });

  it.skipIf(!canMount)("a full disk is STORE_FULL, not a damaged file; commands that only read still answer", () => {
    const point = tempDirectory("full");
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", point]).status).toBe(0);
    mounted.push(point);
    const store = join(point, "cadre.db");
    writeFileSync(store, readFileSync(path));
    // Fill every block left, so the next write of any size fails.
    const filler = join(point, "filler");
    try {
      for (;;) appendFileSync(filler, Buffer.alloc(4096));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    const before = sha256(readFileSync(store));
    for (const args of writeCommands) {
      const result = cadre(["--store", store, ...args]);
      expectRefused(result, "STORE_FULL", "the disk is full");
      expect(result.stderr).not.toMatch(/corrupt|backup/i);
    }
    expect(cadre(["--store", store, "runs"]).stdout).toContain(runId);
    expect(sha256(readFileSync(store))).toBe(before);
  });
});

describe.runIf(await postgresAvailable())("bad PostgreSQL locations", () => {
  const server = new URL(postgresUrl);
  const withPassword = (url: URL) => {
    const copy = new URL(url.toString());
    copy.username ||= "postgres";
    copy.password = "s3cret-pass";
    return copy;
  };

  async function schemaExists(schema: string): Promise<boolean> {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      return (await client.query("select 1 from information_schema.schemata where schema_name = $1", [schema])).rows.length > 0;
    } finally {
      await client.end();
    }
  }

  it("an unreachable server is STORE_UNAVAILABLE, naming the URL with the password hidden", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const url = withPassword(server);
    url.host = `127.0.0.1:${port}`;
    for (const args of [["runs"], ["budget", "fund", "5"]]) {
      const result = cadre(["--store", url.toString(), ...args]);
      expectRefused(result, "STORE_UNAVAILABLE", `Cannot reach the store at ${url.toString().replace("s3cret-pass", "***")}`);
      expect(result.stderr).not.toContain("s3cret-pass");
    }
  });

  it("an unknown database is STORE_CONFIG, saying so, with the password hidden", () => {
    const url = withPassword(server);
    url.pathname = "/no_such_database_for_cadre";
    for (const args of [["audit", "verify"], ["budget", "fund", "5"]]) {
      const result = cadre(["--store", url.toString(), ...args]);
      expectRefused(result, "STORE_CONFIG", 'database "no_such_database_for_cadre" does not exist');
      expect(result.stderr).not.toContain("s3cret-pass");
    }
  });

  it.each([["bad name"], ["pg_cadre"], ["quote\"d"], [""]])("an invalid ?schema=%j is STORE_CONFIG and creates nothing", async (schema) => {
    const url = new URL(postgresUrl);
    url.searchParams.set("schema", schema);
    for (const args of [["runs"], ["budget", "fund", "5"]]) expectRefused(cadre(["--store", url.toString(), ...args]), "STORE_CONFIG", "is not a usable schema name");
    if (schema) expect(await schemaExists(schema)).toBe(false);
  });

  it("a command that only reads, or changes an agent, creates no schema: STORE_NOT_FOUND", async () => {
    const location: TestStoreLocation = await freshStoreLocation("postgres");
    const schema = new URL(location.location).searchParams.get("schema")!;
    try {
      for (const args of [["runs"], ["audit", "verify"], ["agents"], ["budget"], ...agentCommands]) {
        expectRefused(cadre(["--store", location.location, ...args]), "STORE_NOT_FOUND", `the database has no schema "${schema}"`);
      }
      expect(await schemaExists(schema)).toBe(false);
    } finally {
      await location.cleanup();
    }
  });
});

// After every describe's own cleanup has unmounted and made things writable again.
afterAll(() => {
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
});
