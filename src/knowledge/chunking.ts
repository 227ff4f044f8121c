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
    const end = limit === normalized.length ? limit : cutPoint(normalized, start, limit, options.size);
    const chunk = normalized.slice(start, end).trim();
    if (chunk !== "") chunks.push(chunk);
    if (end >= normalized.length) break;
    start = Math.max(nextWordStart(normalized, end - options.overlap, end), start + 1);
  }
  return chunks;
}

/**
 * The best place to end a chunk that starts at `start`: the last paragraph break past a
 * quarter of the size, else the last line or sentence end past half of it, else the last
 * space past half of it; else the limit (a word longer than half a chunk is cut).
 */
function cutPoint(text: string, start: number, limit: number, size: number): number {
  const boundaries: Array<[RegExp, number]> = [
    [/\n\n(?![\s\S]*\n\n)/, Math.floor(size / 4)],
    [/(?:\n|[.!?]\s)(?![\s\S]*(?:\n|[.!?]\s))/, Math.floor(size / 2)],
    [/\s(?![\s\S]*\s)/, Math.floor(size / 2)],
  ];
  for (const [boundary, minimum] of boundaries) {
    const from = start + minimum;
    const match = boundary.exec(text.slice(from, limit));
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
