/** Plans: a task graph validated before it runs (a cycle is refused and named), then run at maximum parallelism. */
import { agent, runExample } from "./shared.ts";

const worker = agent("worker", async (input) => {
  await new Promise((resolve) => setTimeout(resolve, 30));
  return input;
});
await runExample("plan", { agents: [worker] }, async (ctx) => {
  const cycle: string = await ctx.plan([{ id: "a", agent: worker, dependsOn: ["b"] }, { id: "b", agent: worker, dependsOn: ["a"] }]).then(() => "", (error) => error.message as string);
  const started = Date.now();
  const outputs = await ctx.plan([
    { id: "fetch-sales", agent: worker, input: { table: "sales" } },
    { id: "fetch-costs", agent: worker, input: { table: "costs" } },
    { id: "margin", agent: worker, dependsOn: ["fetch-sales", "fetch-costs"], input: (deps: Record<string, unknown>) => ({ from: Object.keys(deps) }) },
  ]);
  return { cycle: cycle.split(": ")[1]!.split(".")[0], tasks: Object.keys(outputs).length, ms: Date.now() - started };
}, (output) => `cycle ${output.cycle} refused before running; ${output.tasks} tasks in ${output.ms} ms`);
