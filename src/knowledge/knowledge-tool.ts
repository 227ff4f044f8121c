import { z } from "zod";
import { ConfigurationError } from "../errors.ts";
import { defineTool, type Tool } from "../governance/define-tool.ts";
import { checkCollectionName } from "./define-knowledge.ts";

/** The tool's name, as agents (and models) call it. */
export const knowledgeSearchToolName = "knowledge.search";

export interface KnowledgeSearchInput {
  collection: string;
  query: string;
  limit?: number | undefined;
}

/** What an agent gets back: ranked passages with the ids to cite. */
export interface KnowledgeSearchOutput {
  collection: string;
  mode: "hybrid" | "fulltext" | "vector";
  hits: Array<{ source: string; documentId: string; chunkId: string; text: string; score: number }>;
  notice?: string | undefined;
  /** Tokens of the query's embedding (0 for full text): what the search was charged for. */
  embeddingTokens: number;
}

/** The knowledge-search tool: which collections it offers (any the agent holds grants for, when unset). */
export interface KnowledgeTool extends Tool<KnowledgeSearchInput, KnowledgeSearchOutput> {
  readonly knowledge: { collections: readonly string[] | null; limit: number };
}

const hitSchema = z.object({ source: z.string(), documentId: z.string(), chunkId: z.string(), text: z.string(), score: z.number() });

/**
 * The governed `knowledge.search` tool for an agent's `tools`. Each call needs a grant for
 * scope `knowledge:<collection>`, is refused when the collection's data-access level is above
 * the agent's, pays for the query's embedding like a model call, and is audited with the
 * documents and chunks it returned (`knowledge.retrieved`). `collections` narrows what the
 * model may ask for (the input schema lists them).
 */
export function knowledgeSearch(options: { collections?: readonly string[]; limit?: number } = {}): KnowledgeTool {
  const collections = options.collections?.map(checkCollectionName) ?? null;
  const limit = options.limit ?? 5;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 20) throw new ConfigurationError({ message: `knowledgeSearch({ limit }) must be a whole number from 1 to 20; got ${limit}.`, tool: knowledgeSearchToolName, field: "limit" });
  if (collections && collections.length === 0) throw new ConfigurationError({ message: "knowledgeSearch({ collections }) needs at least one collection, or none to allow any the agent holds grants for.", tool: knowledgeSearchToolName, field: "collections" });
  const collection = collections ? z.enum(collections as [string, ...string[]]) : z.string().min(1);
  const tool = defineTool({
    name: knowledgeSearchToolName,
    description: `Search ${collections ? `the knowledge collection${collections.length > 1 ? "s" : ""} ${collections.join(", ")}` : "a knowledge collection"} for passages relevant to a query. Returns ranked passages with their source; cite the source of what you use.`,
    input: z.object({
      collection: collection.describe("the collection to search"),
      query: z.string().min(1).describe("what to look for, in words"),
      limit: z.number().int().min(1).max(20).optional().describe(`how many passages (default ${limit})`),
    }),
    output: z.object({ collection: z.string(), mode: z.enum(["hybrid", "fulltext", "vector"]), hits: z.array(hitSchema), notice: z.string().optional(), embeddingTokens: z.number() }),
    scope: "knowledge:*",
    run: () => {
      throw new ConfigurationError({ message: `${knowledgeSearchToolName} runs only through an agent's context.tools, where the gateway governs it.`, tool: knowledgeSearchToolName });
    },
  }) as Tool<KnowledgeSearchInput, KnowledgeSearchOutput>;
  return { ...tool, knowledge: { collections, limit } };
}

export function isKnowledgeTool(tool: Tool): tool is KnowledgeTool {
  return (tool as Partial<KnowledgeTool>).knowledge !== undefined && tool.name === knowledgeSearchToolName;
}
