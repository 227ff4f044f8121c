import { z } from "zod";
import { Runtime, defineAgent, defineWorkflow, usd, type Agent, type ModelConfig, type Workflow, type WorkflowContext } from "cadre";

/** The finished run, for an example that reads what the runtime recorded (ledger, journal) to describe it. */
export interface ExampleRun {
  runtime: Runtime;
  runId: string;
}

/** Runs one workflow body on a throwaway in-memory store and prints `pattern: outcome`. */
export async function runExample(
  pattern: string,
  options: { agents?: Agent[]; workflows?: Workflow[]; models?: ModelConfig; input?: unknown },
  body: (ctx: WorkflowContext, input: any) => Promise<unknown>,
  describe: (output: any, run: ExampleRun) => string | Promise<string>,
): Promise<void> {
  const workflow = defineWorkflow({ name: "example", input: z.any(), output: z.any(), budget: { perRun: usd(1), allocation: usd(10) }, run: (input, ctx) => body(ctx, input) });
  const runtime = await Runtime.open({ store: ":memory:", agents: options.agents ?? [], workflows: [workflow, ...(options.workflows ?? [])], models: options.models });
  try {
    const result = await (await runtime.start(workflow, options.input ?? {})).result();
    if (result.status === "failed") throw new Error(`${result.error?.code}: ${result.error?.message}`);
    console.log(`${pattern.padEnd(20)} ${await describe(result.output, { runtime, runId: result.runId })}`);
  } finally {
    await runtime.close();
  }
}

/** A code agent for examples: a name and a function. */
export function agent<O>(name: string, run: (input: any) => O | Promise<O>, output: z.ZodType<O> = z.any() as z.ZodType<O>): Agent<any, O> {
  return defineAgent({ name, owner: "examples", purpose: name, input: z.any(), output, run });
}
