import type { Operator } from "../operator/operator.ts";
import type { SpendOptions } from "../operator/budgets.ts";
import { formatMoney } from "./table.ts";

/**
 * The line under a `cadre spend` table saying what its total counts: grouped by model (or
 * tool) it counts only model (or tool) charges, so it is set against the total of every
 * charge, which is what `cadre run`, `cadre show` and the other groupings add up to.
 */
export async function describeSpendView(operator: Operator, options: SpendOptions): Promise<string> {
  const run = options.runId ? `run ${options.runId}${options.includeChildRuns === false ? " (without its child runs)" : " and its child runs"}` : "";
  const scope = [run, options.agent ? `agent ${options.agent}` : ""].filter(Boolean).join(", ");
  const within = scope ? ` of ${scope}` : "";
  if (options.by !== "model" && options.by !== "tool") return `counts every charge${within}: model calls and tool calls`;
  const all = (await operator.budgets.spend({ ...options, by: "agent" })).reduce((sum, row) => sum + row.spentMicros, 0);
  const other = options.by === "model" ? "tool" : "model";
  return `counts ${options.by} calls only; every charge${within}, ${other} calls included, is ${formatMoney(all)} (--by agent)`;
}
