import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import * as cadre from "../../src/index.ts";
import { CadreError, ConfigurationError, fromSerializedError, type SerializedError, StepFailedError, toCadreError } from "../../src/errors.ts";
import { repositoryRoot } from "../helpers/cli.ts";

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const sources = sourceFiles(join(repositoryRoot, "src")).map((path) => ({ path: relative(repositoryRoot, path), text: readFileSync(path, "utf8") }));

describe("one error constructor shape: (details, options?)", () => {
  it("every CadreError subclass in src/ takes details first and options second", () => {
    const classes = sources.flatMap(({ path, text }) =>
      [...text.matchAll(/export class (\w+) extends CadreError \{[\s\S]*?constructor\(([^)]*?)(?:\)|\{)/g)].map((match) => ({ path, name: match[1], parameters: match[2] })),
    );
    // A guard against the regular expression silently matching nothing.
    expect(classes.length).toBeGreaterThan(30);
    for (const { path, name, parameters } of classes) expect(parameters, `${name} in ${path}`).toMatch(/^details[?]?:/);
    for (const { path, name } of classes) {
      const text = sources.find((source) => source.path === path)!.text;
      const constructorLine = text.slice(text.indexOf(`class ${name} `)).split("\n").find((line) => line.includes("constructor("))!;
      expect(constructorLine, `${name} in ${path}`).toContain("options?: CadreErrorOptions");
    }
  });

  it("no raw new CadreError(code, ...) outside errors.ts: each code is thrown through its subclass", () => {
    const raw = sources.filter(({ path, text }) => path !== join("src", "errors.ts") && /new CadreError\(/.test(text)).map(({ path }) => path);
    expect(raw).toEqual([]);
  });

  it("a message-based error keeps its facts in details, appends the fix, and honours the options", () => {
    const cause = new Error("disk said no");
    const error = new ConfigurationError({ message: 'Agent "scorer" has timeoutMs -1.', fix: "Use a positive number of milliseconds.", agent: "scorer", field: "timeoutMs" }, { cause, retryable: true, fault: "input" });
    expect(error.message).toBe('Agent "scorer" has timeoutMs -1. Use a positive number of milliseconds.');
    expect(error.toJSON()).toEqual({
      name: "ConfigurationError",
      code: "CONFIGURATION",
      fault: "input",
      message: 'Agent "scorer" has timeoutMs -1. Use a positive number of milliseconds.',
      retryable: true,
      details: { agent: "scorer", field: "timeoutMs", fix: "Use a positive number of milliseconds." },
    });
    expect(error.cause).toBe(cause);
  });

  it("a class that can word its own message builds it from the details", () => {
    const unknownRun = new cadre.UnknownRunError({ runId: "run_1" });
    expect(unknownRun.toJSON()).toMatchObject({ code: "UNKNOWN_RUN", message: "No run with id run_1 in this store. List runs with `cadre runs`.", details: { runId: "run_1" } });
    const unknownWorkflow = new cadre.UnknownWorkflowError({ workflow: "nope", known: ["a", "b"] });
    expect(unknownWorkflow.toJSON()).toMatchObject({ code: "UNKNOWN_WORKFLOW", message: 'No workflow named "nope". Known workflows: a, b.', details: { workflow: "nope", known: ["a", "b"] } });
    const cause = new Error("ECONNREFUSED");
    const unavailable = new cadre.StoreCorruptError({ location: "/tmp/x.db", reason: "bad header" }, { cause });
    expect(unavailable.toJSON()).toMatchObject({ code: "STORE_CORRUPT", fault: "configuration", retryable: false, details: { location: "/tmp/x.db", reason: "bad header" } });
    expect(unavailable.cause).toBe(cause);
  });

  it("the code of a ModelBehaviourError is its code, not one of its details; its default fault is the model's", () => {
    const error = new cadre.ModelBehaviourError({ code: "MAX_TURNS", message: "too many turns", agent: "writer", maxTurns: 3 }, { retryable: true });
    expect(error.toJSON()).toEqual({ name: "ModelBehaviourError", code: "MAX_TURNS", fault: "model", message: "too many turns", retryable: true, details: { agent: "writer", maxTurns: 3 } });
  });

  it("AbortedError has a default message and takes facts beside it", () => {
    expect(new cadre.AbortedError().message).toBe("The operation was aborted.");
    expect(new cadre.AbortedError({ message: "stop", runId: "r" }).toJSON()).toMatchObject({ code: "ABORTED", message: "stop", details: { runId: "r" } });
  });

  it("a foreign error becomes a retryable StepFailedError that names the error and its causes", () => {
    const error = toCadreError(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }));
    expect(error).toBeInstanceOf(StepFailedError);
    expect(error.toJSON()).toEqual({
      name: "StepFailedError",
      code: "STEP_FAILED",
      fault: "system",
      message: "fetch failed: connect ECONNREFUSED",
      retryable: true,
      details: { errorName: "TypeError", causes: [{ name: "Error", message: "connect ECONNREFUSED", code: "ECONNREFUSED" }] },
    });
    expect(toCadreError("plain").toJSON()).toMatchObject({ code: "STEP_FAILED", message: "plain", retryable: true, details: {} });
  });

  it("errors journaled by an earlier version (the old constructors) read back unchanged", () => {
    // As the journal of a store written before the constructors changed holds them.
    const journaled: SerializedError[] = [
      { name: "CadreError", code: "STEP_FAILED", fault: "system", message: "boom", retryable: true, details: { errorName: "Error" } },
      { name: "StoreFullError", code: "STORE_FULL", fault: "configuration", message: "The store at x cannot grow: disk full.", retryable: true, details: { location: "x", reason: "disk full" } },
      { name: "ModelBehaviourError", code: "INVALID_OUTPUT", fault: "model", message: "still not JSON", retryable: false, details: { agent: "a" } },
    ];
    for (const serialized of journaled) {
      const error = fromSerializedError(serialized);
      expect(CadreError.is(error)).toBe(true);
      expect(error.toJSON()).toEqual(serialized);
      // And what is read back journals again byte for byte.
      expect(JSON.parse(JSON.stringify(error))).toEqual(serialized);
    }
  });
});
