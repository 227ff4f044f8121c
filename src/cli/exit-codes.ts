/** Exit codes scripts can rely on. */
export const ExitCode = {
  ok: 0,
  /** The run failed, or a check (audit verify) found a problem. */
  failed: 1,
  /** Bad usage or bad input: nothing was run. */
  usage: 2,
  /** The run is waiting for a human approval. */
  waiting: 3,
  /** Stopped by Ctrl-C or SIGTERM; the run can be resumed. */
  interrupted: 130,
} as const;
