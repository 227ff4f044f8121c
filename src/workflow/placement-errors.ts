import { CadreError, type CadreErrorOptions } from "../errors.ts";

/**
 * A run on a worker called an agent whose `placement` the worker's labels do not satisfy (data
 * residency): the call is refused, and audited, rather than executed in the wrong place.
 */
export class PlacementMismatchError extends CadreError {
  constructor(details: { agent: string; placement: Record<string, string>; labels: Record<string, string>; runId: string }, options?: CadreErrorOptions) {
    const wanted = Object.entries(details.placement).map(([key, value]) => `${key}=${value}`).join(",");
    const has = Object.entries(details.labels).map(([key, value]) => `${key}=${value}`).join(",") || "no labels";
    super(
      "PLACEMENT_MISMATCH",
      `Agent "${details.agent}" may execute only on a worker labelled ${wanted}; run ${details.runId} executes on a worker with ${has}. Call it with ctx.map(items, agent, { distribute: true }) so its calls go to a matching worker, or give the workflow the same placement.`,
      { ...options, details },
    );
  }
}
