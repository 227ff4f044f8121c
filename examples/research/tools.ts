import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";
import { defineTool } from "cadre";

/** The reports folder: the only place the delivery agent's grant lets it write. */
export const reportsFolder = resolve(process.env.CADRE_REPORTS_DIR ?? join(process.cwd(), ".cadre", "reports"));

/**
 * The resource a write touches: `reports/<path>` inside the reports folder, `outside:<absolute
 * path>` anywhere else (after resolving `..`), so a grant on `reports/*` cannot be escaped.
 */
export function writeResource(path: string): string {
  const target = resolve(reportsFolder, path);
  const inside = relative(reportsFolder, target);
  return inside.startsWith("..") || isAbsolute(inside) ? `outside:${target}` : `reports/${inside}`;
}

/** Writes a file; the grant on its resource decides where. */
export const writeReport = defineTool({
  name: "write-report",
  description: "Write a report file",
  input: z.object({ path: z.string(), content: z.string() }),
  output: z.object({ path: z.string(), bytes: z.number() }),
  scope: "fs:write",
  resource: ({ path }) => writeResource(path),
  price: 0,
  run: ({ path, content }) => {
    const target = resolve(reportsFolder, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    return { path: target, bytes: Buffer.byteLength(content) };
  },
});
