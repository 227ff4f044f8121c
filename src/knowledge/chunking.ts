/** How to cut text into chunks: at most `size` characters, consecutive chunks sharing about `overlap`. */
export interface ChunkOptions {
  size: number;
  overlap: number;
}

/**
 * Cuts text into chunks of at most `size` characters. A cut prefers, in the second half of the
 * window, a paragraph break, then a line or sentence end, then a space, so chunks hold whole
 * passages; the next chunk starts `overlap` characters before the cut (at a word boundary), so
 * a sentence cut in two is still found whole in one of them. Deterministic: the same text
 * always gives the same chunks, which keeps re-ingestion idempotent.
 */
export function chunkText(text: string, options: ChunkOptions): string[] {
  const normalized = text.replace(/\r\n?/g, "\n").trim();
  if (normalized === "") return [];
  if (normalized.length <= options.size) return [normalized];
  const chunks: string[] = [];
  let start = 0;
  while (start < normalized.length) {
    const limit = Math.min(start + options.size, normalized.length);
    const end = limit === normalized.length ? limit : cutPoint(normalized, start + Math.floor(options.size / 2), limit);
    const chunk = normalized.slice(start, end).trim();
    if (chunk !== "") chunks.push(chunk);
    if (end >= normalized.length) break;
    start = Math.max(nextWordStart(normalized, end - options.overlap, end), start + 1);
  }
  return chunks;
}

/** The best place to end a chunk within [from, limit]: after a paragraph, a line or sentence, a space; else the limit. */
function cutPoint(text: string, from: number, limit: number): number {
  const window = text.slice(from, limit);
  for (const boundary of [/\n\n(?![\s\S]*\n\n)/, /(?:\n|[.!?]\s)(?![\s\S]*(?:\n|[.!?]\s))/, /\s(?![\s\S]*\s)/]) {
    const match = boundary.exec(window);
    if (match) return from + match.index + match[0].length;
  }
  return limit;
}

/** The first word start at or after `from` (not past `end`), so an overlap never begins mid-word. */
function nextWordStart(text: string, from: number, end: number): number {
  if (from <= 0) return 0;
  if (/\s/.test(text[from - 1]!)) return from;
  const space = text.slice(from, end).search(/\s/);
  return space === -1 ? from : from + space + 1;
}
