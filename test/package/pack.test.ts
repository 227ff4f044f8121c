import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot } from "../helpers/cli.ts";

/** The README's code blocks marked `<!-- snippet: name.ts -->`, by file name. */
function readmeSnippets(): Map<string, string> {
  const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
  return new Map([...readme.matchAll(/<!-- snippet: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)].map((match) => [match[1]!, `${match[2]!}\n`]));
}

const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "warn" } });
const strictConfig = {
  compilerOptions: {
    target: "es2023",
    lib: ["es2023"],
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    // As `tsc --init` writes it: the AI SDK's declarations need the DOM library otherwise.
    skipLibCheck: true,
    // The repository's @types/node, so the temporary project installs only what a user installs.
    typeRoots: [join(repositoryRoot, "node_modules/@types")],
    types: ["node"],
  },
};

// The packed package installed into a fresh project the way the README says: `npm init -y`,
// `npm pkg set type=module`, `npm install <tarball> zod`. One install, shared by the tests.
describe("the packed package in a new project", () => {
  let directory: string;
  let project: string;
  let install: { stdout: string; stderr: string };
  const snippets = readmeSnippets();

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), "cadre-pack-"));
    project = join(directory, "project");
    mkdirSync(project);
    // `npm test` built dist first (pretest); --ignore-scripts keeps this test from rebuilding it under other tests.
    const tarball = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", directory], repositoryRoot))[0].filename as string;
    npm(["init", "-y"], project);
    npm(["pkg", "set", "type=module"], project);
    const result = spawnSync("npm", ["install", join(directory, tarball), "zod", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`npm install failed: ${result.stderr}`);
    install = { stdout: result.stdout, stderr: result.stderr };
    for (const [name, code] of snippets) writeFileSync(join(project, name), code);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ ...strictConfig, include: [...snippets.keys()] }));
  }, 240_000);

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("installs without warnings and runs no install script of its own", () => {
    expect(install.stderr).toBe("");
    const installed = JSON.parse(readFileSync(join(project, "node_modules/cadre/package.json"), "utf8")) as { scripts?: Record<string, string> };
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) expect(installed.scripts?.[script], script).toBeUndefined();
  }, 120_000);

  it("type-checks the README's snippets under strict", () => {
    expect([...snippets.keys()].sort()).toEqual(["research.ts", "streaming.ts", "workflow.ts"]);
    const check = spawnSync(process.execPath, [join(repositoryRoot, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: project, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  }, 120_000);

  it("runs the README's workflow as pasted", () => {
    const run = spawnSync(process.execPath, ["workflow.ts"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("status: 'completed'");
    expect(run.stdout).toContain("output: { score: 712 }");
  }, 120_000);

  it("runs the README's streaming example as pasted: the answer printed as it streams", () => {
    const run = spawnSync(process.execPath, ["streaming.ts"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("Heat pumps move heat instead of making it.\ncompleted\n");
  }, 120_000);

  it("serves the HTTP API from the installed package's cadre/server entry point", () => {
    writeFileSync(
      join(project, "serve.mjs"),
      [
        'import { Runtime } from "cadre";',
        'import { listen } from "cadre/server";',
        'const runtime = await Runtime.open({ store: "serve.db" });',
        'const server = await listen({ runtime, auth: { mode: "dev" }, host: "127.0.0.1", port: 0 });',
        'const me = await (await fetch(`${server.url}/api/me`)).json();',
        'const document = await (await fetch(`${server.url}/api/openapi.json`)).json();',
        'console.log(JSON.stringify({ me, openapi: document.openapi }));',
        "await server.close();",
        "await runtime.close();",
      ].join("\n"),
    );
    const run = spawnSync(process.execPath, ["serve.mjs"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ me: { name: "local", role: "admin" }, openapi: "3.0.3" });
  }, 120_000);

  it("runs the README's model-backed agent offline as pasted", () => {
    const run = spawnSync(process.execPath, ["research.ts"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("status: 'completed'");
    expect(run.stdout).toContain("Heat pumps move heat instead of making it.");
  }, 120_000);
});
