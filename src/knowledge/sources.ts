import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, resolve, sep } from "node:path";
import { InputValidationError } from "../errors.ts";

/** One document to ingest: where it came from (its source id), its text and metadata. */
export interface SourceDocument {
  /** Unique within the collection: a file path, `path#id` for a JSON line, any key for the API. */
  source: string;
  text: string;
  metadata?: Record<string, unknown>;
}

const textExtensions = new Set([".txt", ".md", ".markdown", ".text"]);
const jsonLinesExtensions = new Set([".jsonl", ".ndjson"]);

/** Whether `cadre knowledge add` reads a file: text, markdown or JSON lines. */
export function isIngestible(path: string): boolean {
  const extension = extname(path).toLowerCase();
  return textExtensions.has(extension) || jsonLinesExtensions.has(extension);
}

/**
 * Reads files and directories (recursively, ingestible files only, in name order) into
 * documents. A file's source is its path relative to `baseDir` (forward slashes), so the same
 * file added again replaces its own chunks. A JSON-lines file gives one document per line:
 * its text is the line's `text`, `content` or `body` field (else the whole line), its source
 * `path#<id>` (the `id` field, else the line number), its other fields the metadata.
 */
export function readSources(paths: readonly string[], options: { baseDir?: string } = {}): SourceDocument[] {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  if (paths.length === 0) throw new InputValidationError({ message: "Name at least one file or directory to add: text (.txt), markdown (.md) or JSON lines (.jsonl)." });
  const documents: SourceDocument[] = [];
  for (const path of paths) {
    const absolute = resolve(baseDir, path);
    let stats;
    try {
      stats = statSync(absolute);
    } catch {
      throw new InputValidationError({ message: `Cannot read ${path}: no such file or directory.`, path });
    }
    const files = stats.isDirectory() ? listFiles(absolute).filter(isIngestible) : [absolute];
    if (!stats.isDirectory() && !isIngestible(absolute)) {
      throw new InputValidationError({ message: `Cannot add ${path}: only text (.txt), markdown (.md, .markdown) and JSON lines (.jsonl, .ndjson) files are read.`, path });
    }
    for (const file of files) documents.push(...readFile(file, sourceName(baseDir, file)));
  }
  return documents;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith("."))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(directory, entry.name)) : entry.isFile() ? [join(directory, entry.name)] : []));
}

function sourceName(baseDir: string, file: string): string {
  const inside = relative(baseDir, file);
  return (inside.startsWith("..") ? file : inside).split(sep).join("/");
}

function readFile(file: string, source: string): SourceDocument[] {
  const text = readFileSync(file, "utf8");
  if (!jsonLinesExtensions.has(extname(file).toLowerCase())) return [{ source, text, metadata: {} }];
  const documents: SourceDocument[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new InputValidationError({ message: `${source}:${index + 1} is not valid JSON (${(error as Error).message}); a JSON-lines file holds one JSON object per line.`, path: source, line: index + 1 });
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new InputValidationError({ message: `${source}:${index + 1} is not a JSON object; a JSON-lines file holds one object per line, e.g. {"id":"n1","text":"..."}.`, path: source, line: index + 1 });
    }
    const { text: body, content, body: bodyField, id, ...rest } = record as Record<string, unknown>;
    const chosen = [body, content, bodyField].find((value) => typeof value === "string") as string | undefined;
    const key = typeof id === "string" || typeof id === "number" ? String(id) : `L${index + 1}`;
    documents.push({ source: `${source}#${key}`, text: chosen ?? line, metadata: { ...rest, ...(id === undefined ? {} : { id }), line: index + 1 } });
  });
  return documents;
}
