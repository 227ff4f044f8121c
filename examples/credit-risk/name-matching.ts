/**
 * Fuzzy person-name similarity for sanctions screening, 0..1. Tolerates spelling slips
 * ("Jon Smyth" ~ "John Smith"), transliteration ("Michail Petrow" ~ "Mikhail Petrov"),
 * diacritics, punctuation, token order and joined or split particles ("Al Rashid" ~
 * "Alrashid"), but two names that differ in a whole token are not a match.
 */

/** Below this, two full tokens are different names: sharing a family name is not a match. */
export const minimumTokenSimilarity = 0.9;
/** An unmatched extra token (a middle name) only dilutes the score a little. */
const extraTokenWeight = 0.1;
/** One matched token out of several (a family name alone) never identifies a person. */
const singleTokenCap = 0.85;
/** An initial ("M.") agreeing with a full token is weak evidence. */
const initialSimilarity = 0.75;
/** Equal after transliteration folding: near-certain, but not as strong as equal spelling. */
const foldedDiscount = 0.97;
/** Same consonants in the same order ("Muhammad" / "Mohammed"): a likely transliteration. */
const skeletonSimilarity = 0.9;

/** Lowercase, strip diacritics (NFKD), drop apostrophes ("O'Neil" → "oneil"), turn other punctuation into spaces, collapse spaces. */
export function normalizeName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .replace(/[øœæđł]/g, (letter) => ({ ø: "o", œ: "oe", æ: "ae", đ: "d", ł: "l" })[letter] ?? letter)
    .replace(/['’`]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** Jaro-Winkler similarity of two strings, 0..1 (prefix scale 0.1, up to 4 characters). */
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
  while (prefix < 4 && prefix < left.length && left[prefix] === right[prefix]) prefix += 1;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Jaro-Winkler of the two names with their tokens sorted, so word order does not matter. */
export function tokenSortSimilarity(left: string, right: string): number {
  return jaroWinkler(tokens(left).sort().join(" "), tokens(right).sort().join(" "));
}

/**
 * Pairs each token of the shorter name with a distinct, most similar token of the longer
 * one (adjacent tokens may be joined: "abdul rahman" ~ "abdulrahman") and averages the
 * pair similarities weighted by token length. Extra tokens dilute the score a little; a
 * pair below `minimumTokenSimilarity` caps the score at that pair's similarity.
 */
export function tokenSetSimilarity(left: string, right: string): number {
  const leftTokens = tokens(left);
  const rightTokens = tokens(right);
  if (!leftTokens.length || !rightTokens.length) return 0;
  let best = alignedSimilarity(leftTokens, rightTokens);
  // Joining only ever evens out the token counts; joining more would invent matches.
  if (leftTokens.length === rightTokens.length + 1) for (const joined of joinedVariants(leftTokens)) best = Math.max(best, alignedSimilarity(joined, rightTokens));
  if (rightTokens.length === leftTokens.length + 1) for (const joined of joinedVariants(rightTokens)) best = Math.max(best, alignedSimilarity(leftTokens, joined));
  return best;
}

/**
 * The similarity screening uses: the better of token-set and token-sort, except that
 * token-sort may not lift a pair of names the token-set comparison found to differ in a
 * whole token (whole-string Jaro-Winkler is generous to long shared prefixes).
 */
export function nameSimilarity(left: string, right: string): number {
  const tokenSet = tokenSetSimilarity(left, right);
  const score = tokenSet >= minimumTokenSimilarity ? Math.max(tokenSet, tokenSortSimilarity(left, right)) : tokenSet;
  return Number(score.toFixed(4));
}

function tokens(name: string): string[] {
  return [...remembered(tokensByName, name, () => normalizeName(name).split(" ").filter(Boolean))];
}

// Screening compares one name with every listed name and alias: normalizing and folding
// each listed token once, not once per comparison, makes it several times faster.
const tokensByName = new Map<string, string[]>();
const foldedByToken = new Map<string, { folded: string; skeleton: string }>();
const rememberedLimit = 50_000;

function remembered<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= rememberedLimit) cache.clear();
    value = compute();
    cache.set(key, value);
  }
  return value;
}

function alignedSimilarity(shorterOrEqual: string[], other: string[]): number {
  const [short, long] = shorterOrEqual.length <= other.length ? [shorterOrEqual, other] : [other, shorterOrEqual];
  const candidates: Array<{ i: number; j: number; similarity: number }> = [];
  for (let i = 0; i < short.length; i += 1) {
    for (let j = 0; j < long.length; j += 1) candidates.push({ i, j, similarity: tokenSimilarity(short[i]!, long[j]!) });
  }
  candidates.sort((a, b) => b.similarity - a.similarity || a.i - b.i || a.j - b.j);
  const usedShort = new Set<number>();
  const usedLong = new Set<number>();
  let weighted = 0;
  let weight = 0;
  let weakestFullToken = 1;
  for (const { i, j, similarity } of candidates) {
    if (usedShort.has(i) || usedLong.has(j)) continue;
    usedShort.add(i);
    usedLong.add(j);
    const pairWeight = Math.max(short[i]!.length, long[j]!.length);
    weighted += similarity * pairWeight;
    weight += pairWeight;
    if (short[i]!.length > 1 && long[j]!.length > 1) weakestFullToken = Math.min(weakestFullToken, similarity);
  }
  long.forEach((token, j) => {
    if (!usedLong.has(j)) weight += extraTokenWeight * token.length;
  });
  let score = weighted / weight;
  if (weakestFullToken < minimumTokenSimilarity) score = Math.min(score, weakestFullToken);
  if (short.length < 2 && long.length >= 2) score = Math.min(score, singleTokenCap);
  return score;
}

/** The name with one pair of adjacent tokens written together, for every such pair. */
function joinedVariants(nameTokens: string[]): string[][] {
  const variants: string[][] = [];
  for (let index = 0; index + 1 < nameTokens.length; index += 1) {
    variants.push([...nameTokens.slice(0, index), nameTokens[index]! + nameTokens[index + 1]!, ...nameTokens.slice(index + 2)]);
  }
  return variants;
}

function tokenSimilarity(left: string, right: string): number {
  if (left === right) return 1;
  if (left.length === 1 || right.length === 1) return left[0] === right[0] ? initialSimilarity : 0;
  let similarity = jaroWinkler(left, right);
  const [leftForms, rightForms] = [transliterationForms(left), transliterationForms(right)];
  similarity = Math.max(similarity, foldedDiscount * jaroWinkler(leftForms.folded, rightForms.folded));
  if (leftForms.skeleton.length >= 3 && leftForms.skeleton === rightForms.skeleton) similarity = Math.max(similarity, skeletonSimilarity);
  return similarity;
}

/** Spellings that romanizations of the same name alternate between, mapped to one form. */
const transliterationFolds: Array<[RegExp, string]> = [
  [/t?sch|tch/g, "ch"],
  [/kh|gh/g, "h"],
  [/ch/g, "h"],
  [/ph/g, "f"],
  [/th/g, "t"],
  [/ck|q/g, "k"],
  [/c(?=[eiy])/g, "s"],
  [/c/g, "k"],
  [/x/g, "ks"],
  [/w/g, "v"],
  [/z/g, "s"],
  [/ou|oo|ue/g, "u"],
  [/oe/g, "o"],
  [/ae/g, "a"],
  [/ee|ie|iy|y/g, "i"],
  [/(.)\1+/g, "$1"],
  [/f$/g, "v"],
];

/** The token folded, and its consonant skeleton (first letter kept, later vowels and h dropped). */
function transliterationForms(token: string): { folded: string; skeleton: string } {
  return remembered(foldedByToken, token, () => {
    let folded = token;
    for (const [pattern, replacement] of transliterationFolds) folded = folded.replace(pattern, replacement);
    return { folded, skeleton: folded[0]! + folded.slice(1).replace(/[aeiouh]/g, "") };
  });
}
