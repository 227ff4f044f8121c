import { readFileSync } from "node:fs";
import { join } from "node:path";

export const defaultSanctionsPath = join(import.meta.dirname, "data/sanctions.csv");

export interface SanctionsEntry {
  name: string;
  aliases: string[];
  country: string;
  program: string;
  listedOn: string;
}

export interface SanctionsMatch {
  listedName: string;
  matchedAlias: string;
  score: number;
  program: string;
}

export interface ScreeningResult {
  hit: boolean;
  matches: SanctionsMatch[];
}

export function loadSanctionsList(path = defaultSanctionsPath): SanctionsEntry[] {
  const [, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  return lines.map((line) => {
    const [name = "", aliases = "", country = "", program = "", listedOn = ""] = line.split(",");
    return { name, aliases: aliases ? aliases.split(";") : [], country, program, listedOn };
  });
}

/** Lowercase, strip diacritics and punctuation, collapse spaces. */
export function normalizeName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Jaro-Winkler similarity, 0..1. */
export function jaroWinkler(left: string, right: string): number {
  if (left === right) return 1;
  if (!left.length || !right.length) return 0;
  const window = Math.max(0, Math.floor(Math.max(left.length, right.length) / 2) - 1);
  const leftMatched = new Array<boolean>(left.length).fill(false);
  const rightMatched = new Array<boolean>(right.length).fill(false);
  let matches = 0;
  for (let i = 0; i < left.length; i += 1) {
    for (let j = Math.max(0, i - window); j < Math.min(right.length, i + window + 1); j += 1) {
      if (rightMatched[j] || left[i] !== right[j]) continue;
      leftMatched[i] = rightMatched[j] = true;
      matches += 1;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < left.length; i += 1) {
    if (!leftMatched[i]) continue;
    while (!rightMatched[j]) j += 1;
    if (left[i] !== right[j]) transpositions += 1;
    j += 1;
  }
  const jaro = (matches / left.length + matches / right.length + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && left[prefix] === right[prefix]) prefix += 1;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Similarity of two name tokens; an initial ("M.") is weak evidence and never a match on its own. */
function tokenSimilarity(left: string, right: string): number {
  if (left.length === 1 || right.length === 1) return left[0] === right[0] ? 0.75 : 0;
  return jaroWinkler(left, right);
}

/**
 * Similarity of two names robust to token order, transliteration and small spelling
 * differences: each token is paired with its most similar counterpart and the scores are
 * averaged. Every token must resemble its counterpart closely, so sharing a family name
 * alone ("Elena Moreau" vs "Nadia Moreau") is not a match.
 */
export function nameSimilarity(left: string, right: string): number {
  const leftTokens = normalizeName(left).split(" ").filter(Boolean);
  const rightTokens = normalizeName(right).split(" ").filter(Boolean);
  if (leftTokens.length === 0 || rightTokens.length === 0) return 0;
  const best = leftTokens.map((token) => Math.max(...rightTokens.map((other) => tokenSimilarity(token, other))));
  if (Math.min(...best) < minimumTokenSimilarity) return 0;
  const coverage = Math.min(leftTokens.length, rightTokens.length) / Math.max(leftTokens.length, rightTokens.length);
  return Number(((best.reduce((sum, score) => sum + score, 0) / best.length) * (0.9 + 0.1 * coverage)).toFixed(4));
}

const minimumTokenSimilarity = 0.85;

/** Screens a name against the list (names and aliases); a hit is any match at or above `threshold`. */
export function screenName(list: SanctionsEntry[], subject: { name: string }, options: { threshold?: number } = {}): ScreeningResult {
  const threshold = options.threshold ?? 0.9;
  const matches: SanctionsMatch[] = [];
  for (const entry of list) {
    let best: SanctionsMatch | undefined;
    for (const candidate of [entry.name, ...entry.aliases]) {
      const score = nameSimilarity(subject.name, candidate);
      if (!best || score > best.score) best = { listedName: entry.name, matchedAlias: candidate, score, program: entry.program };
    }
    if (best && best.score >= 0.8) matches.push(best);
  }
  matches.sort((left, right) => right.score - left.score);
  return { hit: matches.some((match) => match.score >= threshold), matches: matches.slice(0, 5) };
}
