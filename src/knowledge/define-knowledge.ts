import { ConfigurationError } from "../errors.ts";
import type { DataAccess } from "../governance/inventory.ts";

/** A knowledge collection as declared in code or configuration. */
export interface KnowledgeDefinition {
  /** Lowercase letters, digits, dots, dashes and underscores; the grant scope is `knowledge:<name>`. */
  name: string;
  /** How sensitive its content is; an agent reads it only with at least this data-access level (default `internal`). */
  dataAccess?: DataAccess;
  /** `provider:model-id` of the embedding model: enables vector and hybrid search. Without it, full text only. */
  embedding?: string;
  /** Characters per chunk (default 800). */
  chunkSize?: number;
  /** Characters shared by consecutive chunks (default 120), so a passage cut at a boundary is still found whole. */
  chunkOverlap?: number;
  /** Retention in milliseconds: documents (memories) older than this are no longer returned and are purged. */
  ttl?: number;
}

/** A declared collection with its defaults applied. */
export interface KnowledgeCollection {
  readonly kind: "knowledge";
  readonly name: string;
  readonly dataAccess: DataAccess;
  readonly embedding: string | null;
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  readonly ttl: number | null;
}

/** The data-access levels, least sensitive first. */
export const dataAccessLevels: readonly DataAccess[] = ["none", "public", "internal", "confidential", "restricted"];

/** Whether an agent cleared for `agentLevel` may read content classified `contentLevel`. */
export function mayRead(agentLevel: DataAccess, contentLevel: DataAccess): boolean {
  return dataAccessLevels.indexOf(agentLevel) >= dataAccessLevels.indexOf(contentLevel);
}

const collectionNamePattern = /^[a-z][a-z0-9_.-]{0,62}$/;

export function checkCollectionName(name: string): string {
  if (!collectionNamePattern.test(name)) {
    throw new ConfigurationError({ message: `Knowledge collection name "${name}" must be lowercase letters, digits, dots, dashes or underscores, starting with a letter (at most 63).`, collection: name, field: "name" }, { fault: "input" });
  }
  return name;
}

/** Declares a knowledge collection; the runtime records it in the store when it opens. */
export function defineKnowledge(definition: KnowledgeDefinition): KnowledgeCollection {
  const name = checkCollectionName(definition.name);
  const fail = (field: string, problem: string) => {
    throw new ConfigurationError({ message: `Knowledge collection "${name}": ${field} ${problem}.`, collection: name, field });
  };
  const dataAccess = definition.dataAccess ?? "internal";
  if (!dataAccessLevels.includes(dataAccess)) fail("dataAccess", `must be one of ${dataAccessLevels.join(", ")}; got ${JSON.stringify(dataAccess)}`);
  const chunkSize = definition.chunkSize ?? 800;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 50 || chunkSize > 100_000) fail("chunkSize", `must be a whole number of characters from 50 to 100000; got ${chunkSize}`);
  const chunkOverlap = definition.chunkOverlap ?? Math.min(120, Math.floor(chunkSize / 4));
  if (!Number.isSafeInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap * 2 > chunkSize) fail("chunkOverlap", `must be a whole number from 0 to half the chunk size (${chunkSize / 2}); got ${chunkOverlap}`);
  const ttl = definition.ttl ?? null;
  if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl <= 0)) fail("ttl", `must be a positive number of milliseconds; got ${ttl}`);
  if (definition.embedding !== undefined && !/^[^:\s]+:\S+$/.test(definition.embedding)) fail("embedding", `must be "provider:model-id", e.g. "openai:text-embedding-3-small"; got ${JSON.stringify(definition.embedding)}`);
  return { kind: "knowledge", name, dataAccess, embedding: definition.embedding ?? null, chunkSize, chunkOverlap, ttl };
}
