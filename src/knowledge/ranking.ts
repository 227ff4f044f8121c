/** The constant of reciprocal rank fusion: 60, as in Cormack, Clarke and Büttcher (2009). */
export const rrfConstant = 60;

/**
 * Reciprocal rank fusion: each list contributes 1 / (k + rank) for every id it ranks (rank 1
 * first), so an id ranked well by both full text and vectors rises above one ranked by either
 * alone, without comparing their incomparable scores. Ties keep the first list's order.
 */
export function fuseRankings(lists: ReadonlyArray<readonly string[]>, k = rrfConstant): Array<{ id: string; score: number; ranks: Array<number | null> }> {
  const fused = new Map<string, { id: string; score: number; ranks: Array<number | null>; first: number }>();
  lists.forEach((list, listIndex) => {
    list.forEach((id, position) => {
      let entry = fused.get(id);
      if (!entry) {
        entry = { id, score: 0, ranks: lists.map(() => null), first: listIndex * 1_000_000 + position };
        fused.set(id, entry);
      }
      entry.score += 1 / (k + position + 1);
      entry.ranks[listIndex] = position + 1;
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first).map(({ id, score, ranks }) => ({ id, score, ranks }));
}
