import { CadreError } from "../errors.ts";

/** The code asked for a different step than the journal recorded at the same position. */
export class NonDeterminismError extends CadreError {
  constructor(details: { runId: string; position: string; journaled: string; requested: string }) {
    super(
      "NON_DETERMINISM",
      `Run ${details.runId} cannot be replayed: at step position ${details.position} the journal has ${details.journaled} but the workflow code now asks for ${details.requested}. The workflow changed since the run started, or it branches on something that is not journaled (time, randomness, outside reads): wrap such code in ctx.step().`,
      { details },
    );
  }
}

/** A step ran longer than its timeout; its signal was aborted. */
export class StepTimeoutError extends CadreError {
  constructor(details: { runId: string; stepKey: string; timeoutMs: number; agent?: string | null }) {
    super("STEP_TIMEOUT", `Step ${details.stepKey} timed out after ${details.timeoutMs} ms.`, { details, retryable: true });
  }
}

export class UnknownRunError extends CadreError {
  constructor(runId: string) {
    super("UNKNOWN_RUN", `No run with id ${runId} in this store. List runs with \`cadre runs\`.`, { details: { runId } });
  }
}

/** Another process holds the run's lease; resuming now would run it twice. */
export class RunLeasedError extends CadreError {
  constructor(details: { runId: string; owner: string; expiresAt: number }) {
    super(
      "RUN_LEASED",
      `Run ${details.runId} is being executed by ${details.owner} (lease until ${new Date(details.expiresAt).toISOString()}). Wait for the lease to expire, or pass --force if that process is gone.`,
      { details, retryable: true },
    );
  }
}

/**
 * Another process took the run over (a forced resume, or this process's lease expired): this
 * process stops at its next write, aborts its in-flight effects and writes nothing more.
 */
export class RunLeaseLostError extends CadreError {
  constructor(details: { runId: string; epoch: number; currentEpoch: number | null }) {
    super(
      "RUN_LEASE_LOST",
      `Run ${details.runId} was taken over by another process (this process held epoch ${details.epoch}, the run is now at ${details.currentEpoch ?? "no epoch: it was deleted"}); this process stopped and wrote nothing more. The new owner finishes the run: follow it with \`cadre show ${details.runId}\`.`,
      { details },
    );
  }
}

export class RunNotResumableError extends CadreError {
  constructor(details: { runId: string; status: string }) {
    super("RUN_NOT_RESUMABLE", `Run ${details.runId} is ${details.status} and cannot be resumed.`, { details });
  }
}

/** A branch or task was cancelled because the run (or its parent scope) was aborted. */
export class AbortedError extends CadreError {
  constructor(message = "The operation was aborted.", details: Record<string, unknown> = {}) {
    super("ABORTED", message, { details });
  }
}
