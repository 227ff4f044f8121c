import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../errors.ts";

/** The code asked for a different step than the journal recorded at the same position. */
export class NonDeterminismError extends CadreError {
  constructor(details: { runId: string; position: string; journaled: string; requested: string }, options?: CadreErrorOptions) {
    super(
      "NON_DETERMINISM",
      `Run ${details.runId} cannot be replayed: at step position ${details.position} the journal has ${details.journaled} but the workflow code now asks for ${details.requested}. The workflow changed since the run started, or it branches on something that is not journaled (time, randomness, outside reads): wrap such code in ctx.step().`,
      { ...options, details },
    );
  }
}

/** A step ran longer than its timeout; its signal was aborted. */
export class StepTimeoutError extends CadreError {
  constructor(details: { runId: string; stepKey: string; timeoutMs: number; agent?: string | null }, options?: CadreErrorOptions) {
    super("STEP_TIMEOUT", `Step ${details.stepKey} timed out after ${details.timeoutMs} ms.`, { retryable: true, ...options, details });
  }
}

export class UnknownRunError extends CadreError {
  constructor(details: { runId: string }, options?: CadreErrorOptions) {
    super("UNKNOWN_RUN", `No run with id ${details.runId} in this store. List runs with \`cadre runs\`.`, { ...options, details });
  }
}

/** Another process holds the run's lease; resuming now would run it twice. */
export class RunLeasedError extends CadreError {
  constructor(details: { runId: string; owner: string; expiresAt: number }, options?: CadreErrorOptions) {
    super(
      "RUN_LEASED",
      `Run ${details.runId} is being executed by ${details.owner} (lease until ${new Date(details.expiresAt).toISOString()}). Wait for the lease to expire, or pass --force if that process is gone.`,
      { retryable: true, ...options, details },
    );
  }
}

/**
 * Another process took the run over (a forced resume, or this process's lease expired): this
 * process stops at its next write, aborts its in-flight effects and writes nothing more.
 */
export class RunLeaseLostError extends CadreError {
  constructor(details: { runId: string; epoch: number; currentEpoch: number | null }, options?: CadreErrorOptions) {
    super(
      "RUN_LEASE_LOST",
      `Run ${details.runId} was taken over by another process (this process held epoch ${details.epoch}, the run is now at ${details.currentEpoch ?? "no epoch: it was deleted"}); this process stopped and wrote nothing more. The new owner finishes the run: follow it with \`cadre show ${details.runId}\`.`,
      { ...options, details },
    );
  }
}

/** The run is in a state that refuses what was asked (resuming it, funding it...); `reason` says which, when it is not resuming. */
export class RunNotResumableError extends CadreError {
  constructor(details: { runId: string; status: string; reason?: string; fix?: string }, options?: CadreErrorOptions) {
    const what = details.reason ? `: ${details.reason}.` : " and cannot be resumed.";
    super("RUN_NOT_RESUMABLE", `Run ${details.runId} is ${details.status}${what}${details.fix ? ` ${details.fix}` : ""}`, { ...options, details });
  }
}

/** The run already ended (completed or partial): there is nothing left to cancel. */
export class RunEndedError extends CadreError {
  constructor(details: { runId: string; status: string }, options?: CadreErrorOptions) {
    super("RUN_ENDED", `Run ${details.runId} already ended (${details.status}): there is nothing to cancel.`, { ...options, details });
  }
}

/** A branch or task was cancelled because the run (or its parent scope) was aborted. */
export class AbortedError extends CadreError {
  constructor(details: Partial<MessageDetails> = {}, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails({ ...details, message: details.message ?? "The operation was aborted." });
    super("ABORTED", message, { ...options, details: facts });
  }
}
