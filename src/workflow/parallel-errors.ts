import { CadreError, type CadreErrorOptions, type SerializedError } from "../errors.ts";

/** One branch of a fan-out that did not succeed. */
export interface BranchFailure {
  index: number;
  error: CadreError;
}

/** Too few branches of a fan-out succeeded for the join to return. */
export class ParallelError extends CadreError {
  readonly failures: BranchFailure[];

  constructor(details: { runId: string; position: string; total: number; succeeded: number; required: number; failures: BranchFailure[] }, options?: CadreErrorOptions) {
    const first = details.failures[0]?.error;
    super(
      "PARALLEL_FAILED",
      `${details.failures.length} of ${details.total} branches failed at step ${details.position} (needed ${details.required} to succeed)${first ? `; first: ${first.message}` : ""}`,
      {
        cause: first,
        ...options,
        details: {
          runId: details.runId,
          position: details.position,
          total: details.total,
          succeeded: details.succeeded,
          required: details.required,
          failures: details.failures.map(({ index, error }): { index: number; error: SerializedError } => ({ index, error: error.toJSON() })),
        },
      },
    );
    this.failures = details.failures;
  }
}
