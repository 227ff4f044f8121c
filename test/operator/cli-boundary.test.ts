import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "../helpers/cli.ts";

const cliSources = join(repositoryRoot, "src/cli");

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith(".ts") ? [join(directory, entry.name)] : []));
}

describe("the CLI's boundary", () => {
  it("reaches the store only through the operator or a runtime: no query builder, no store.db, no driver in src/cli", () => {
    // `(?<!cadre)` spares the default file name `.cadre/cadre.db` in the help text.
    const forbidden = /\b(selectFrom|insertInto|updateTable|deleteFrom)\b|(?<!cadre)\.db\b|from "kysely"|from "pg"|from "better-sqlite3"/;
    const offending = sourceFiles(cliSources).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, index) => (forbidden.test(line) ? [`${relative(repositoryRoot, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });
});
