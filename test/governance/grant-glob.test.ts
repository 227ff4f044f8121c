import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineAgent, defineTool, defineWorkflow, type Agent, type Tool } from "../../src/index.ts";
import { runtimeFixture } from "../helpers/runtime-fixture.ts";
import { dialects } from "../helpers/stores.ts";

/** A free tool whose resource is the path it is given, so the grant's pattern alone decides. */
const readFile = defineTool({
  name: "read-file",
  description: "reads a path",
  input: z.object({ path: z.string() }),
  output: z.object({ path: z.string() }),
  scope: "fs:read",
  resource: ({ path }) => path,
  run: (input) => input,
});

/** An agent holding `grants` that tries every path it is given and reports `ok` or the refusal's code for each. */
const reader = (name: string, grants: Agent["grants"], tool: Tool = readFile) =>
  defineAgent({
    name,
    owner: "tests",
    purpose: "reads whatever its grant allows",
    tools: [tool],
    grants,
    input: z.object({ paths: z.array(z.string()) }),
    output: z.record(z.string(), z.string()),
    run: async ({ paths }, context) => {
      const outcomes: Record<string, string> = {};
      for (const path of paths) {
        outcomes[path] = await context.tools.call(tool, { path }).then(
          () => "ok",
          (error: { code: string }) => error.code,
        );
      }
      return outcomes;
    },
  });

describe.each(await dialects())("grant resource and scope patterns on %s", (dialect) => {
  // One store per test, shared by the runtimes a test opens.
  const open = runtimeFixture(dialect);

  /** Runs `agent` over `paths` in a run of its own and returns each path's outcome. */
  const outcomesOf = async (agent: Agent, paths: string[]) => {
    const workflow = defineWorkflow({ name: "read", input: z.any(), output: z.any(), run: (input, ctx) => ctx.call(agent, input) });
    const rt = await open([agent], [workflow]);
    const result = await (await rt.start(workflow, { paths })).result();
    expect(result.status).toBe("completed");
    return result.output as Record<string, string>;
  };
  const denied = "PERMISSION_DENIED";

  it("`reports/*` allows anything under reports/ and nothing else", async () => {
    const outcomes = await outcomesOf(reader("reporter", [{ scope: "fs:read", resource: "reports/*" }]), [
      "reports/a.md",
      "reports/sub/b.md",
      "reports/",
      "reports/line\nbreak",
      "reports",
      "secrets/a.md",
      "old/reports/a.md",
      "reportsX/a.md",
      "Reports/a.md",
    ]);
    expect(outcomes).toEqual({
      "reports/a.md": "ok",
      // `*` is any run of characters, `/` included, and the empty run.
      "reports/sub/b.md": "ok",
      "reports/": "ok",
      "reports/line\nbreak": "ok",
      reports: denied,
      "secrets/a.md": denied,
      // The pattern is anchored at both ends, and case matters.
      "old/reports/a.md": denied,
      "reportsX/a.md": denied,
      "Reports/a.md": denied,
    });
  });

  it("a pattern without `*` matches exactly that resource", async () => {
    const outcomes = await outcomesOf(reader("exact", [{ scope: "fs:read", resource: "reports/a.md" }]), ["reports/a.md", "reports/a.mdx", "reports/a", "reports/aXmd", "xreports/a.md"]);
    expect(outcomes).toEqual({ "reports/a.md": "ok", "reports/a.mdx": denied, "reports/a": denied, "reports/aXmd": denied, "xreports/a.md": denied });
  });

  it("`*` alone, and a grant with no resource, allow every resource", async () => {
    const paths = ["reports/a.md", "secrets/key", "", "*", "a\nb"];
    const everything = Object.fromEntries(paths.map((path) => [path, "ok"]));
    expect(await outcomesOf(reader("star", [{ scope: "fs:read", resource: "*" }]), paths)).toEqual(everything);
    expect(await outcomesOf(reader("defaulted", [{ scope: "fs:read" }]), paths)).toEqual(everything);
  });

  it("characters other than `*` are literal, even where a regular expression would read them otherwise", async () => {
    const outcomes = await outcomesOf(reader("literal", [{ scope: "fs:read", resource: "data[1]/*.md" }]), ["data[1]/a.md", "data1/a.md", "data[1]/aXmd", "data[1]/a.md.bak", "data[1]/(x)+?.md"]);
    expect(outcomes).toEqual({ "data[1]/a.md": "ok", "data1/a.md": denied, "data[1]/aXmd": denied, "data[1]/a.md.bak": denied, "data[1]/(x)+?.md": "ok" });
  });

  it("a scope pattern covers the scopes it matches and no others", async () => {
    const adminRead = defineTool({ ...readFile, name: "admin-read", scope: "fsadmin:read" });
    const outcomes = await outcomesOf(
      defineAgent({
        ...reader("scoped", [{ scope: "fs:*", resource: "*.md" }]),
        tools: [readFile, adminRead],
        run: async (_input, context) => ({
          fileMarkdown: await context.tools.call(readFile, { path: "notes.md" }).then(() => "ok", (error: { code: string }) => error.code),
          fileText: await context.tools.call(readFile, { path: "notes.txt" }).then(() => "ok", (error: { code: string }) => error.code),
          adminMarkdown: await context.tools.call(adminRead, { path: "notes.md" }).then(() => "ok", (error: { code: string }) => error.code),
        }),
      }),
      [],
    );
    expect(outcomes).toEqual({ fileMarkdown: "ok", fileText: denied, adminMarkdown: denied });
  });

  it("a delegating agent passes on only grants its own pattern covers", async () => {
    const worker = reader("worker", []);
    const lead = defineAgent({
      name: "lead",
      owner: "tests",
      purpose: "delegates reads under reports/",
      grants: [{ scope: "fs:read", resource: "reports/*" }],
      input: z.any(),
      output: z.record(z.string(), z.string()),
      run: async (_input, context) => {
        const delegate = (resource: string) =>
          context.call(worker, { paths: ["reports/drafts/a.md"] }, { grants: [{ scope: "fs:read", resource }] }).then(
            (outcomes) => outcomes["reports/drafts/a.md"]!,
            (error: { code: string }) => error.code,
          );
        return { narrower: await delegate("reports/drafts/*"), same: await delegate("reports/*"), wider: await delegate("*"), elsewhere: await delegate("secrets/*") };
      },
    });
    const workflow = defineWorkflow({ name: "delegate", input: z.any(), output: z.any(), run: (_input, ctx) => ctx.call(lead, {}) });
    const rt = await open([lead, worker], [workflow]);
    const result = await (await rt.start(workflow, {})).result();
    expect(result.output).toEqual({ narrower: "ok", same: "ok", wider: denied, elsewhere: denied });
  });
});
