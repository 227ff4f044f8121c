import type { Agent } from "../../agent/define-agent.ts";
import type { WorkflowContext } from "../context.ts";
import { PlanError } from "./pattern-errors.ts";

/** One task of a plan: which agent, with what input (fixed or built from its dependencies' outputs). */
export interface PlanTask {
  id: string;
  agent: Agent | string;
  input?: unknown | ((dependencies: Record<string, unknown>) => unknown);
  dependsOn?: string[];
}

/**
 * Validates a task graph before anything runs: unique ids, known agents, existing
 * dependencies, and no cycle (the cycle is named: the seeds' deadlock fix).
 */
export function validatePlan(tasks: PlanTask[], agents: ReadonlyMap<string, Agent>): void {
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id)) throw new PlanError({ message: `Plan has two tasks with id "${task.id}".`, task: task.id });
    ids.add(task.id);
  }
  for (const task of tasks) {
    const name = typeof task.agent === "string" ? task.agent : task.agent.name;
    if (!agents.has(name)) throw new PlanError({ message: `Task "${task.id}" uses agent "${name}", which is not registered (known: ${[...agents.keys()].join(", ")}).`, task: task.id, agent: name });
    for (const dependency of task.dependsOn ?? []) {
      if (!ids.has(dependency)) throw new PlanError({ message: `Task "${task.id}" depends on "${dependency}", which is not in the plan.`, task: task.id, dependency });
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) throw new PlanError({ message: `Plan has a dependency cycle: ${cycle.join(" → ")}. No task in it could ever start.`, cycle });
}

function findCycle(tasks: PlanTask[]): string[] | undefined {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "visiting");
    path.push(id);
    for (const dependency of byId.get(id)?.dependsOn ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task.id);
    if (cycle) return cycle.reverse();
  }
  return undefined;
}

/** Runs a validated task graph at maximum parallelism: each task starts as soon as its dependencies finish. */
export async function runPlan(ctx: WorkflowContext, tasks: PlanTask[], agents: ReadonlyMap<string, Agent>): Promise<Record<string, unknown>> {
  validatePlan(tasks, agents);
  const settled = new Map<string, { promise: Promise<unknown>; resolve(value: unknown): void; reject(error: unknown): void }>();
  for (const task of tasks) {
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((onResolve, onReject) => ((resolve = onResolve), (reject = onReject)));
    promise.catch(() => {});
    settled.set(task.id, { promise, resolve, reject });
  }
  const outputs = await ctx.parallel(
    tasks.map((task) => async (branch: WorkflowContext) => {
      const own = settled.get(task.id)!;
      try {
        const dependencies: Record<string, unknown> = {};
        for (const dependency of task.dependsOn ?? []) dependencies[dependency] = await settled.get(dependency)!.promise;
        const agent = typeof task.agent === "string" ? agents.get(task.agent)! : task.agent;
        const input = typeof task.input === "function" ? (task.input as (dependencies: Record<string, unknown>) => unknown)(dependencies) : (task.input ?? dependencies);
        const output = await branch.call(agent, input);
        own.resolve(output);
        return output;
      } catch (error) {
        own.reject(error);
        throw error;
      }
    }),
  );
  return Object.fromEntries(tasks.map((task, index) => [task.id, outputs[index]]));
}
