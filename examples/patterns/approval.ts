/** Human approval: the run parks as waiting (the process could exit), a decision is recorded, the run resumes. */
import { z } from "zod";
import { Runtime, decideApproval, defineWorkflow } from "cadre";

const payout = defineWorkflow({
  name: "payout",
  input: z.object({ amount: z.number() }),
  output: z.string(),
  run: async ({ amount }, ctx) => {
    const decision = await ctx.approval("payout", { request: { amount } });
    return `paid ${amount}, approved by ${decision.by}`;
  },
});
const runtime = await Runtime.open({ store: ":memory:", workflows: [payout] });
try {
  const parked = await (await runtime.start(payout, { amount: 1200 })).result();
  // What `cadre approve <run> payout` does: record the decision (audited), then resume.
  await decideApproval(runtime.store, { runId: parked.runId, name: "payout", approved: true, by: "alice", note: "invoice checked" });
  const done = await (await runtime.wake(parked.runId))!.result();
  if (done.status !== "completed") throw new Error(`run ${done.status}`);
  console.log(`${"approval".padEnd(20)} run ${parked.status} → ${done.status}: "${done.output}"`);
} finally {
  await runtime.close();
}
