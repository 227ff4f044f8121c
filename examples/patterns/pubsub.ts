/** Pub/sub: a run parks waiting for an event, then resumes when it is published; subscribers start on it. */
import { z } from "zod";
import { Runtime, defineWorkflow } from "cadre";

const order = defineWorkflow({
  name: "order",
  input: z.object({ id: z.number() }),
  output: z.string(),
  run: async ({ id }, ctx) => {
    await ctx.emit("order.placed", { id });
    const payment = await ctx.waitFor<{ amount: number }>("payment.received", { timeout: 60_000 });
    return `order ${id} paid ${payment.amount}`;
  },
});
const receipt = defineWorkflow({ name: "receipt", input: z.any(), output: z.string(), run: async (input) => `receipt for ${input.amount}` });
const runtime = await Runtime.open({ store: ":memory:", workflows: [order, receipt] });
try {
  runtime.subscribe("payment.received", receipt);
  const parked = await (await runtime.start(order, { id: 7 })).result();
  const results = await Promise.all((await runtime.publish("payment.received", { amount: 30 })).map((handle) => handle.result()));
  if (results.some((result) => result.status !== "completed")) throw new Error("a run did not complete");
  console.log(`${"pub/sub".padEnd(20)} run ${parked.status} → ${results.map((result) => `"${result.output}"`).join(", ")}`);
} finally {
  await runtime.close();
}
