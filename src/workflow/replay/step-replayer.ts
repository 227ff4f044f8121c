import { AbortedError } from "../../engine/engine-errors.ts";
import { compareStepKeys, type Journal, type JournalEntry } from "../../engine/journal.ts";
import type { StepEnvironment, StepReplayer, StepSpec } from "../../engine/run-step.ts";
import { RunSuspended } from "../../engine/run-suspended.ts";
import { positionOf } from "../../engine/scope.ts";
import { fromSerializedError, toCadreError, type SerializedError } from "../../errors.ts";
import type { StepStatus, StepType } from "../../store/schema.ts";
import { asJournaled, firstDifference } from "./json-difference.ts";
import { isDivergence, ReplayDivergenceError, type DivergenceDetails } from "./replay-errors.ts";

/** One step as a replay saw it: the input the code passes now, the output the code sees now. */
export interface ReplayedStep {
  key: string;
  name: string;
  type: StepType;
  agent: string | null;
  /** How the step ended in the journal. */
  status: StepStatus;
  input: unknown;
  output?: unknown;
  error?: SerializedError;
  /** True for an agent call whose code ran again against its journaled tool and model calls. */
  reexecuted: boolean;
  /** True for a step whose output a fork replaced (`--override`): returned as it is, its code not run again. */
  overridden: boolean;
  /** Nesting: 0 for a step of the workflow itself, 1 for a step inside a branch or an agent call, … */
  depth: number;
}

/** Steps whose input is fixed when they first run (a deadline, an event cursor): only their name and type are compared. */
const waitTypes: ReadonlySet<StepType> = new Set(["approval", "event", "signal", "sleep"]);

/**
 * Answers every step of a replayed run from its journal and never runs an effect. A
 * completed agent call runs its agent's code again (its tool and model calls are answered
 * from the journal in turn) and must return what it returned then; every other completed
 * step returns its journaled output; a failed step throws its journaled error; a waiting or
 * interrupted step parks the replay where the run is. The first place where the code asks
 * for something else than the journal holds throws a ReplayDivergenceError, kept even if
 * the workflow catches it.
 */
export class JournalReplayer implements StepReplayer {
  readonly #journal: Journal;
  readonly #steps: ReplayedStep[] = [];
  readonly #visited = new Set<string>();
  /** Positions of steps answered from the journal without running their code: what they did inside is not asked again. */
  readonly #opaque = new Set<string>();
  readonly #inFlight: boolean;
  readonly #overridden: ReadonlySet<string>;
  #divergence: ReplayDivergenceError | undefined;

  /** `inFlight`: the run has not ended, so the code may go past the end of its journal (the replay parks there). */
  constructor(journal: Journal, options: { inFlight: boolean; overridden?: readonly string[] }) {
    this.#journal = journal;
    this.#inFlight = options.inFlight;
    this.#overridden = new Set(options.overridden);
  }

  get divergence(): ReplayDivergenceError | undefined {
    return this.#divergence;
  }

  /** The steps replayed so far, as a tree in key order. */
  steps(): ReplayedStep[] {
    return [...this.#steps].sort((a, b) => compareStepKeys(a.key, b.key));
  }

  /** Records the first divergence and returns it to be thrown. */
  diverge(details: Omit<DivergenceDetails, "runId">): ReplayDivergenceError {
    this.#divergence ??= new ReplayDivergenceError({ runId: this.#journal.runId, ...details });
    return this.#divergence;
  }

  async step<T>(environment: Pick<StepEnvironment, "runId" | "signal" | "parked">, spec: StepSpec<T>): Promise<T> {
    // Past the first divergence nothing is compared any more: the replay is over.
    if (this.#divergence) throw this.#divergence;
    const previous = this.#journal.at(spec.position);
    const requested = `${spec.type} "${spec.name}" (${spec.key})`;
    if (!previous) {
      // As on a resume, the journal answers first; a step it lacks in a cancelled branch (its join could no longer succeed) is cancelled again.
      if (environment.signal.aborted) throw new AbortedError({ message: `Run ${environment.runId} was aborted before step ${spec.key}.`, runId: environment.runId, stepKey: spec.key });
      // A run parking (or parked) starts no new step; a run still executing has not got here yet.
      const parked = environment.parked?.();
      if (parked) throw parked;
      if (this.#inFlight) throw new RunSuspended(spec.key, `run ${environment.runId} has not reached step ${spec.key} yet`);
    }
    if (!previous) throw this.diverge({ kind: "step-added", stepKey: spec.key, journaled: this.#describeAt(spec.position), requested });
    if (previous.name !== spec.name || previous.type !== spec.type) throw this.diverge({ kind: "different-step", stepKey: previous.key, journaled: `${previous.type} "${previous.name}" (${previous.key})`, requested });
    this.#visited.add(previous.key);
    const input = waitTypes.has(spec.type) ? previous.input : asJournaled(spec.input);
    const difference = firstDifference(previous.input, input);
    if (difference) throw this.diverge({ kind: "input-changed", stepKey: previous.key, journaled: `${previous.type} "${previous.name}"`, requested, difference });

    const node: ReplayedStep = { key: previous.key, name: previous.name, type: previous.type, agent: previous.agent, status: previous.status, input, reexecuted: false, overridden: this.#overridden.has(previous.key), depth: depthOf(previous.key) };
    this.#steps.push(node);
    // An overridden output is what the fork's later steps saw: the agent's code would compute the original one.
    if (previous.status === "completed" && spec.type === "agent" && !node.overridden) return this.#reexecute(environment, spec, previous, node);
    this.#opaque.add(spec.position);
    if (previous.status === "completed") {
      node.output = previous.output;
      return previous.output as T;
    }
    if (previous.status === "failed") {
      node.error = previous.error;
      throw fromSerializedError(previous.error ?? { name: "CadreError", code: "INTERNAL", message: `step ${previous.key} failed without a recorded error`, details: {}, retryable: false, fault: "system" });
    }
    // Waiting for a person or an event, or in flight when the journal was read: the run is here, so is the replay.
    throw new RunSuspended(previous.key, previous.status === "waiting" ? `step ${previous.key} is waiting` : `step ${previous.key} was in flight when the journal was read`);
  }

  /** Runs an agent's code again: its tool and model calls are answered from the journal; it must return the journaled output. */
  async #reexecute<T>(environment: Pick<StepEnvironment, "runId" | "signal" | "parked">, spec: StepSpec<T>, previous: JournalEntry, node: ReplayedStep): Promise<T> {
    node.reexecuted = true;
    let output: T;
    try {
      output = await spec.execute({ attempt: previous.attempt, idempotencyKey: previous.idempotencyKey, stepKey: previous.key, signal: environment.signal });
    } catch (error) {
      if (isDivergence(error) || RunSuspended.is(error)) throw error;
      const cause = toCadreError(error);
      throw this.diverge({ kind: "now-fails", stepKey: previous.key, journaled: `[${cause.code}] ${cause.message}`, requested: `agent "${spec.name}"` });
    }
    const difference = firstDifference(previous.output, output);
    if (difference) throw this.diverge({ kind: "output-changed", stepKey: previous.key, journaled: `agent "${previous.name}"`, requested: `agent "${spec.name}"`, difference });
    node.output = asJournaled(output);
    return output;
  }

  /** What the journal holds at a position that has no step of its own: the first step inside it (a fan-out), or nothing. */
  #describeAt(position: string): string {
    const inside = this.#journal.inJournalOrder().find((entry) => positionOf(entry.key).startsWith(`${position}.`));
    return inside ? `${inside.type} "${inside.name}" (${inside.key}) there` : `no step at position ${position}`;
  }

  /**
   * The first journaled step (in journal order) the code never asked for, outside the steps
   * answered whole from the journal (what an agent call or a failed step did inside is not asked again).
   */
  unvisited(): JournalEntry | undefined {
    const opaque = [...this.#opaque];
    return this.#journal.inJournalOrder().find((entry) => !this.#visited.has(entry.key) && !opaque.some((position) => positionOf(entry.key).startsWith(`${position}.`)));
  }
}

/** How deep a key nests: one level per branch, agent call or generation it is inside. */
function depthOf(key: string): number {
  return positionOf(key).split("/").length - 1;
}
