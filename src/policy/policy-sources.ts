import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cadreSchema } from "./cadre-schema.ts";
import { PolicyInvalidError } from "./policy-errors.ts";

/** Where the policies are: a folder of `*.cedar` files or a list of files, and the schema (default: Cadre's own). */
export interface PolicyOptions {
  /** A folder: every `*.cedar` file in it (not recursive), in name order. */
  dir?: string | URL;
  /** Or the files themselves. */
  files?: Array<string | URL>;
  /** A Cedar schema file (`.cedarschema`); default: the schema `cadre policy schema` prints. */
  schema?: string | URL;
}

/** One file's text and the name it is reported under. */
export interface PolicySource {
  path: string;
  text: string;
}

export interface PolicySources {
  files: PolicySource[];
  schema: PolicySource;
}

export const builtInSchemaPath = "(built in: cadre policy schema)";

const pathOf = (location: string | URL): string => (location instanceof URL ? fileURLToPath(location) : location);

/** Reads the policy files and the schema named in the configuration; a missing file or folder is a PolicyInvalidError naming it. */
export async function readPolicySources(options: PolicyOptions): Promise<PolicySources> {
  const paths: string[] = [];
  if (options.dir !== undefined) {
    const dir = pathOf(options.dir);
    const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
      throw new PolicyInvalidError({ problems: [{ file: dir, line: 0, column: 0, message: `cannot read the policy folder: ${error.code ?? error.message}` }] });
    });
    paths.push(...names.filter((name) => name.endsWith(".cedar")).sort().map((name) => join(dir, name)));
    if (paths.length === 0) throw new PolicyInvalidError({ problems: [{ file: dir, line: 0, column: 0, message: "the folder holds no .cedar files (an empty policy set would deny every call)" }] });
  }
  paths.push(...(options.files ?? []).map(pathOf));
  if (paths.length === 0) throw new PolicyInvalidError({ problems: [{ file: "policies", line: 0, column: 0, message: "name a folder (policies.dir) or files (policies.files)" }] });
  const files = await Promise.all(paths.map(readSource));
  const schema = options.schema === undefined ? { path: builtInSchemaPath, text: cadreSchema } : await readSource(pathOf(options.schema));
  return { files, schema };
}

async function readSource(path: string): Promise<PolicySource> {
  try {
    return { path, text: await readFile(path, "utf8") };
  } catch (error) {
    throw new PolicyInvalidError({ problems: [{ file: path, line: 0, column: 0, message: `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }] });
  }
}

/** The name a file goes by in a policy id (`residency.cedar` → `residency`). */
export const fileStem = (path: string): string => basename(path).replace(/\.cedar$/, "");
