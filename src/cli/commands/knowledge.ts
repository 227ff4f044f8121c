import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import type { DataAccess } from "../../governance/inventory.ts";
import type { SearchMode } from "../../knowledge/search.ts";
import type { NewCollectionOptions } from "../../operator/knowledge.ts";
import type { Operator } from "../../operator/operator.ts";
import { globalOptions, withExistingOperator, withOperator, type GlobalOptions } from "../cli-context.ts";
import { loadConfig, type CadreConfig } from "../config.ts";
import { printJson, style } from "../io.ts";
import { formatMoney, formatTime, renderTable } from "../table.ts";

const modes: readonly SearchMode[] = ["hybrid", "fulltext", "vector"];

/** The operator with the config's declared collections recorded first, so `add` to one of them uses its settings. */
async function withKnowledge<T>(global: GlobalOptions, mustExist: boolean, work: (operator: Operator) => Promise<T>): Promise<T> {
  const { config } = await loadConfig(global.config).catch(() => ({ config: {} as CadreConfig }));
  const open = mustExist ? withExistingOperator : withOperator;
  return open(global, async (operator) => {
    if (config.knowledge?.length) await operator.knowledge.declare(config.knowledge);
    return work(operator);
  });
}

function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InputValidationError({ message: `${option} must be a positive whole number; got "${text}".`, option, value: text });
  return Number(text);
}

function shorten(text: string, length: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** `cadre knowledge add|list|search|remove` and `cadre memory forget`. */
export function registerKnowledgeCommands(program: Command): void {
  const knowledge = program.command("knowledge").description("knowledge collections agents search through the governed knowledge.search tool");

  knowledge
    .command("add <collection> <paths...>")
    .description("ingest text, markdown and JSON-lines files or directories; creates the collection if needed (data access internal)")
    .option("--data-access <level>", "for a new collection: none | public | internal | confidential | restricted", undefined)
    .option("--embedding <provider:model>", "for a new collection: the embedding model (enables vector and hybrid search)")
    .option("--chunk-size <chars>", "for a new collection: characters per chunk (default 800)")
    .option("--overlap <chars>", "for a new collection: characters shared by consecutive chunks (default 120)")
    .option("--ttl-days <days>", "for a new collection: retention in days")
    .action(async (collection: string, paths: string[], options: { dataAccess?: string; embedding?: string; chunkSize?: string; overlap?: string; ttlDays?: string }, command: Command) => {
      const global = globalOptions(command);
      const ttlDays = positiveInteger(options.ttlDays, "--ttl-days");
      const settings: NewCollectionOptions = {
        ...(options.dataAccess ? { dataAccess: options.dataAccess as DataAccess } : {}),
        ...(options.embedding ? { embedding: options.embedding } : {}),
        ...(options.chunkSize ? { chunkSize: positiveInteger(options.chunkSize, "--chunk-size")! } : {}),
        ...(options.overlap ? { chunkOverlap: Number(options.overlap) } : {}),
        ...(ttlDays ? { ttl: ttlDays * 86_400_000 } : {}),
      };
      const result = await withKnowledge(global, false, (operator) => operator.knowledge.add(collection, { paths }, settings));
      if (global.json) return printJson(result);
      const count = (status: string) => result.documents.filter((document) => document.status === status).length;
      if (result.created) process.stdout.write(`created collection ${collection}\n`);
      process.stdout.write(
        `${collection}: ${count("added")} added, ${count("updated")} updated, ${count("unchanged")} unchanged; ${result.chunks} chunks written` +
          (result.embeddingModel ? `; ${result.embedded} embedded, ${result.reusedEmbeddings} re-used (${result.embeddingTokens} tokens, ${formatMoney(result.embeddingCostMicros)})` : "") +
          "\n",
      );
    });

  knowledge
    .command("list [collection]")
    .description("the collections, or the documents of one collection")
    .action(async (collection: string | undefined, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      await withKnowledge(global, true, async (operator) => {
        if (collection) {
          const documents = await operator.knowledge.documents(collection);
          if (global.json) return printJson(documents);
          process.stdout.write(`${renderTable(["SOURCE", "CHUNKS", "UPDATED", "EXPIRES", "ID"], documents.map((document) => [document.source, document.chunkCount, formatTime(document.updatedAt), formatTime(document.expiresAt), document.id]))}\n`);
          return;
        }
        const collections = await operator.knowledge.list();
        if (global.json) return printJson(collections);
        if (collections.length === 0) return void process.stdout.write("No knowledge collections yet: cadre knowledge add <collection> <files or directories>.\n");
        process.stdout.write(
          `${renderTable(
            ["COLLECTION", "DATA", "EMBEDDING", "DOCUMENTS", "CHUNKS", "RETENTION"],
            collections.map((entry) => [entry.name, entry.dataAccess, entry.embedding ?? "-", entry.documents, entry.chunks, entry.ttl === null ? "-" : `${Math.round(entry.ttl / 86_400_000)} d`]),
          )}\n`,
        );
      });
    });

  knowledge
    .command("search <collection> <query...>")
    .description("ranked passages with their source (audited as knowledge.retrieved)")
    .option("--limit <n>", "how many passages", "5")
    .option("--mode <mode>", "hybrid | fulltext | vector (default: hybrid when the collection has an embedding model)")
    .action(async (collection: string, words: string[], options: { limit: string; mode?: string }, command: Command) => {
      const global = globalOptions(command);
      if (options.mode !== undefined && !modes.includes(options.mode as SearchMode)) throw new InputValidationError({ message: `--mode must be hybrid, fulltext or vector; got "${options.mode}".`, mode: options.mode });
      const limit = positiveInteger(options.limit, "--limit");
      const result = await withKnowledge(global, true, (operator) => operator.knowledge.search(collection, words.join(" "), { limit, mode: options.mode as SearchMode | undefined }));
      if (global.json) return printJson(result);
      if (result.notice) process.stderr.write(`${style.yellow("note")}: ${result.notice}\n`);
      if (result.hits.length === 0) return void process.stdout.write(`No passages in ${collection} match.\n`);
      process.stdout.write(
        `${renderTable(
          ["#", "SCORE", "SOURCE", "PASSAGE"],
          result.hits.map((hit, index) => [index + 1, hit.score.toFixed(4), hit.ordinal > 0 ? `${hit.source} [${hit.ordinal}]` : hit.source, shorten(hit.text, 90)]),
        )}\n${style.dim(`${result.mode} search`)}\n`,
      );
    });

  knowledge
    .command("remove <collection> [sources...]")
    .description("remove documents by source (a directory prefix ends in /), or the whole collection (audited)")
    .action(async (collection: string, sources: string[], _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const report = await withKnowledge(global, true, (operator) => operator.knowledge.remove(collection, { sources }));
      if (global.json) return printJson(report);
      process.stdout.write(report.collectionRemoved ? `removed collection ${collection} (${report.documents.length} documents, ${report.chunks} chunks)\n` : `removed ${report.documents.length} documents (${report.chunks} chunks) from ${collection}\n`);
    });

  const memory = program.command("memory").description("agents' long-term memory");
  memory
    .command("forget")
    .description("delete every memory of a principal, in every collection (the deletion is audited)")
    .requiredOption("--principal <id>", "whose memories to delete")
    .option("--reason <text>", "why (recorded in the audit log), e.g. a data-protection request number")
    .action(async (options: { principal: string; reason?: string }, command: Command) => {
      const global = globalOptions(command);
      const report = await withExistingOperator(global, (operator) => operator.memory.forget(options.principal, { reason: options.reason }));
      if (global.json) return printJson(report);
      process.stdout.write(`forgot ${report.documents.length} memories (${report.chunks} chunks) of ${options.principal}\n`);
    });
}
