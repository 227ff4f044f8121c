/** Calls `work` on every item, at most `limit` at once; the first failure (or the signal) stops new work, and a failure is thrown when the running ones end. */
export async function inParallel<T>(items: readonly T[], options: { limit: number; signal?: AbortSignal }, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && options.signal?.aborted !== true && next < items.length) {
      const item = items[next]!;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.limit, items.length) }, worker));
  if (failure) throw failure.error;
}
