import type { Agent } from "../../agent/define-agent.ts";
import { decodeJson, encodeJson } from "../../store/json.ts";
import type { Store } from "../../store/store.ts";
import type { WorkflowContext } from "../context.ts";
import { BoardConflictError } from "./pattern-errors.ts";

export interface BoardEntry<T = unknown> {
  value: T;
  version: number;
  writer: string;
}

/** A run-scoped shared board. Reads and writes are journaled steps; writes are compare-and-set. */
export interface Board {
  read<T = unknown>(key: string): Promise<BoardEntry<T> | undefined>;
  /** Writes if the entry is still at `expectedVersion` (0: must not exist yet); otherwise throws BoardConflictError. */
  write(key: string, value: unknown, options: { expectedVersion: number; writer?: string }): Promise<{ version: number }>;
  entries(): Promise<Record<string, BoardEntry>>;
}

export async function readEntries(store: Store, runId: string): Promise<Record<string, BoardEntry>> {
  const rows = await store.db.selectFrom("board_entries").selectAll().where("run_id", "=", runId).orderBy("key").execute();
  return Object.fromEntries(rows.map((row) => [row.key, { value: decodeJson(row.value), version: Number(row.version), writer: row.writer }]));
}

/**
 * The compare-and-set itself: a conditional insert or update, so concurrent writers can never
 * both win. `retry` is set when the step runs again after a crash: finding its own write
 * (same version, writer and value) is then success, not a conflict with itself.
 */
export async function compareAndSet(store: Store, options: { runId: string; key: string; value: unknown; expectedVersion: number; writer: string; now: number; retry?: boolean }): Promise<{ version: number }> {
  const version = options.expectedVersion + 1;
  const row = { run_id: options.runId, key: options.key, version, value: encodeJson(options.value) ?? "null", writer: options.writer, written_at: options.now };
  const written =
    options.expectedVersion === 0
      ? await store.db.insertInto("board_entries").values(row).onConflict((conflict) => conflict.columns(["run_id", "key"]).doNothing()).executeTakeFirst()
      : await store.db
          .updateTable("board_entries")
          .set({ version, value: row.value, writer: row.writer, written_at: row.written_at })
          .where("run_id", "=", options.runId)
          .where("key", "=", options.key)
          .where("version", "=", options.expectedVersion)
          .executeTakeFirst();
  const changed = "numInsertedOrUpdatedRows" in written ? Number(written.numInsertedOrUpdatedRows ?? 0) : Number((written as { numUpdatedRows: bigint }).numUpdatedRows);
  if (changed !== 1) {
    const current = await store.db.selectFrom("board_entries").select(["version", "writer", "value"]).where("run_id", "=", options.runId).where("key", "=", options.key).executeTakeFirst();
    if (options.retry && current && Number(current.version) === version && current.writer === options.writer && current.value === row.value) return { version };
    throw new BoardConflictError({ key: options.key, expectedVersion: options.expectedVersion, actualVersion: Number(current?.version ?? 0), writer: options.writer });
  }
  return { version };
}

/** A contributor to a swarm: it acts when its condition on the board holds. */
export interface Contributor {
  agent: Agent;
  /** Acts when this holds for the current entries. */
  when: (entries: Record<string, BoardEntry>) => boolean;
  /** The entry it writes its output to. */
  writes: string;
}

/**
 * Blackboard / swarm: in each round every contributor whose condition holds reads the
 * board and writes its output under its key (compare-and-set). Stops when nobody is
 * eligible or at the round cap; conflicting writes are reported, never lost.
 */
export async function runBlackboard(ctx: WorkflowContext, options: { contributors: Contributor[]; maxRounds: number }): Promise<{ entries: Record<string, BoardEntry>; rounds: number; conflicts: number }> {
  let conflicts = 0;
  for (let round = 1; round <= options.maxRounds; round += 1) {
    const entries = await ctx.board.entries();
    const eligible = options.contributors.filter((contributor) => contributor.when(entries));
    if (eligible.length === 0) return { entries, rounds: round - 1, conflicts };
    const outcomes = await ctx.parallel(
      eligible.map((contributor) => async (branch: WorkflowContext) => {
        const output = await branch.call(contributor.agent, { entries });
        return branch.board.write(contributor.writes, output, { expectedVersion: entries[contributor.writes]?.version ?? 0, writer: contributor.agent.name }).then(
          () => true,
          (error: { code?: string }) => {
            if (error.code !== "CONFLICT") throw error;
            return false;
          },
        );
      }),
    );
    conflicts += outcomes.filter((written) => !written).length;
  }
  return { entries: await ctx.board.entries(), rounds: options.maxRounds, conflicts };
}
