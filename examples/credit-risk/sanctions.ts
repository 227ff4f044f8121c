import { readFileSync } from "node:fs";
import { join } from "node:path";
import { nameSimilarity } from "./name-matching.ts";

/** The shipped fictional sanctions list. */
export const defaultSanctionsPath = join(import.meta.dirname, "data/sanctions.csv");

/** A matching name at or above this similarity is a hit (the default of `screenName`). */
export const defaultHitThreshold = 0.9;
/** Near misses from this similarity up are still reported, so a reviewer sees them. */
export const reportingFloor = 0.85;
/** A listed name in the subject's own country is a little more likely the same person. */
const sameCountryBonus = 0.02;
const maximumMatches = 5;

/** One listed person: the listed name, known aliases and the sanctions program. */
export interface SanctionsEntry {
  name: string;
  aliases: string[];
  country: string;
  program: string;
  listedOn: string;
}

/** A listed person resembling the subject; `matchedAlias` is the spelling that matched best. */
export interface SanctionsMatch {
  listedName: string;
  matchedAlias: string;
  score: number;
  program: string;
}

/** The outcome of screening one name: top matches, best first. */
export interface ScreeningResult {
  hit: boolean;
  matches: SanctionsMatch[];
}

/** Who is screened. The shipped list carries no dates of birth, so `dateOfBirth` is not compared. */
export interface ScreeningSubject {
  name: string;
  country?: string;
  dateOfBirth?: string;
}

/** Reads a sanctions CSV: `name,aliases,country,program,listed_on`, aliases separated by `;`. */
export function loadSanctionsList(path = defaultSanctionsPath): SanctionsEntry[] {
  const [header, ...rows] = parseCsv(readFileSync(path, "utf8"));
  const column = (name: string) => {
    const index = header?.indexOf(name) ?? -1;
    if (index < 0) throw new Error(`${path}: no "${name}" column`);
    return index;
  };
  const [name, aliases, country, program, listedOn] = ["name", "aliases", "country", "program", "listed_on"].map(column) as [number, number, number, number, number];
  return rows.map((row) => ({
    name: row[name] ?? "",
    aliases: (row[aliases] ?? "").split(";").map((alias) => alias.trim()).filter(Boolean),
    country: row[country] ?? "",
    program: row[program] ?? "",
    listedOn: row[listedOn] ?? "",
  }));
}

/**
 * Screens a name against every listed name and alias. A hit is any match scoring at or
 * above `threshold`; near misses down to `reportingFloor` are returned too (top 5).
 */
export function screenName(list: SanctionsEntry[], subject: ScreeningSubject, options: { threshold?: number } = {}): ScreeningResult {
  const threshold = options.threshold ?? defaultHitThreshold;
  const matches: SanctionsMatch[] = [];
  for (const entry of list) {
    let best: SanctionsMatch | undefined;
    for (const candidate of [entry.name, ...entry.aliases]) {
      const score = nameSimilarity(subject.name, candidate);
      if (!best || score > best.score) best = { listedName: entry.name, matchedAlias: candidate, score, program: entry.program };
    }
    if (!best || best.score < reportingFloor) continue;
    if (subject.country && subject.country.toUpperCase() === entry.country.toUpperCase()) best.score = Number(Math.min(1, best.score + sameCountryBonus).toFixed(4));
    matches.push(best);
  }
  matches.sort((left, right) => right.score - left.score || left.listedName.localeCompare(right.listedName));
  return { hit: matches.some((match) => match.score >= threshold), matches: matches.slice(0, maximumMatches) };
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ",") {
      row.push(field);
      field = "";
    } else if (character === "\n" || character === "\r") {
      if (character === "\r" && text[index + 1] === "\n") index += 1;
      row.push(field);
      if (row.some((value) => value !== "")) rows.push(row);
      row = [];
      field = "";
    } else field += character;
  }
  row.push(field);
  if (row.some((value) => value !== "")) rows.push(row);
  return rows;
}
