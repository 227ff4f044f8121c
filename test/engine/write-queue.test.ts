import { describe, expect, it } from "vitest";
import { WriteQueue } from "../../src/store/write-queue.ts";

/** A queue whose "transactions" record which writes they committed together. */
function recordingQueue(maxOrdersPerBatch: number) {
  const batches: string[][] = [];
  let current: string[] = [];
  const queue = new WriteQueue(
    async (work) => {
      current = [];
      await work({} as never);
      batches.push(current);
    },
    { maxOrdersPerBatch },
  );
  const write = (label: string, order?: number) => queue.write(async () => void current.push(label), order);
  return { batches, write, queue };
}

describe("group commit fairness", () => {
  it("takes the writes of the oldest runs first, a bounded number of runs per batch, each run's writes in the order queued", async () => {
    const { batches, write } = recordingQueue(2);
    await Promise.all([write("r3a", 3), write("r1a", 1), write("r2a", 2), write("r1b", 1), write("r3b", 3), write("event")]);
    expect(batches).toEqual([["event", "r1a", "r1b"], ["r2a", "r3a", "r3b"]]);
  });

  it("a run launched later waits behind older runs' next writes, so older runs finish first", async () => {
    const { batches, write } = recordingQueue(1);
    const finished: number[] = [];
    const run = async (order: number) => {
      for (let step = 0; step < 3; step += 1) await write(`r${order}s${step}`, order);
      finished.push(order);
    };
    await Promise.all([run(2), run(1), run(3)]);
    expect(finished).toEqual([1, 2, 3]);
    expect(batches.flat().slice(0, 3)).toEqual(["r1s0", "r1s1", "r1s2"]);
  });
});
