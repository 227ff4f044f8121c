import { hostname } from "node:os";
import { toCadreError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import type { JobQueue } from "./job-queue.ts";
import { jobQueueName, placementMatches, type RunTicket, type TicketOutcome } from "./run-ticket.ts";
import { heartbeatWorker, markWorkerStopped, registerWorker } from "./worker-registry.ts";

export interface WorkerOptions {
  store: Store;
  queue: JobQueue;
  /** The owner id the worker's runtime writes on the leases it takes. */
  id: string;
  /** Cadre queues to take tickets from (default ["default"]). */
  queues: string[];
  /** Tickets executed at once by this process, per queue. */
  concurrency: number;
  /** Runs of a workflow executing at once across every worker, by workflow name. */
  workflowLimits: Record<string, number>;
  labels: Record<string, string>;
  /** The placements the worker's workflows declare: it also serves those its labels satisfy. */
  placements: Array<Record<string, string>>;
  /** Executes one ticket here; resolves when the run ended, parked or was found held elsewhere. */
  execute(ticket: RunTicket): Promise<TicketOutcome>;
  /** Gives a run this process still executes back to the queue (lease freed, resume ticket queued). */
  release(runId: string): Promise<void>;
  /** Hands on runs whose owner died (lease expired): a resume ticket each. */
  sweep(): Promise<void>;
  /** How often to sweep for such runs (ms). */
  sweepMs: number;
  now(): number;
  /** How often the worker's row is refreshed (default 2 s). */
  heartbeatMs?: number;
}

/**
 * A worker process's lifecycle: it registers itself (the `workers` table), takes run tickets
 * from its queues and executes them through its runtime, heartbeats, and on `drain` stops
 * taking work, lets what it holds finish until a deadline, then hands the rest back.
 */
export class Worker {
  readonly id: string;
  readonly #options: WorkerOptions;
  /** Tickets being executed here, by run id. */
  readonly #active = new Map<string, Promise<void>>();
  #heartbeat: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.id = options.id;
  }

  /** Runs being executed here now. */
  get held(): number {
    return this.#active.size;
  }

  async start(): Promise<void> {
    const { store, queue, now } = this.#options;
    await registerWorker(store.db, { id: this.id, host: hostname(), pid: process.pid, labels: this.#options.labels, queues: this.#options.queues, concurrency: this.#options.concurrency, startedAt: now() });
    this.#heartbeat = setInterval(() => void heartbeatWorker(store.db, this.id, now()).catch(() => {}), this.#options.heartbeatMs ?? 2000);
    this.#heartbeat.unref();
    // Failover does not wait for pg-boss to notice a dead worker's ticket: an expired lease is enough.
    this.#sweeper = setInterval(() => void this.#options.sweep().catch((error: unknown) => process.emitWarning(`worker ${this.id}: sweeping for orphaned runs failed: ${toCadreError(error).message}`)), this.#options.sweepMs);
    this.#sweeper.unref();
    for (const { name, placement } of this.#served()) {
      await queue.work(name, { concurrency: this.#options.concurrency, groupLimits: this.#options.workflowLimits, placement }, (ticket) => this.#take(name, ticket, placement));
    }
  }

  /** Every (queue, placement) this worker takes tickets from: unplaced work, and work placed where its labels match. */
  #served(): Array<{ name: string; placement: Record<string, string> }> {
    const placements = [{}, ...this.#options.placements.filter((placement) => Object.keys(placement).length > 0 && placementMatches(placement, this.#options.labels))];
    const unique = new Map(placements.map((placement) => [jobQueueName("", placement), placement]));
    return this.#options.queues.flatMap((name) => [...unique.values()].map((placement) => ({ name, placement })));
  }

  /**
   * Stops taking tickets, waits up to `deadlineMs` for the runs in hand, then gives back those
   * still executing (their lease freed, a resume ticket queued for another worker) and stops.
   */
  drain(deadlineMs: number): Promise<void> {
    this.#draining ??= this.#drain(deadlineMs);
    return this.#draining;
  }

  async #drain(deadlineMs: number): Promise<void> {
    const { queue, store, now } = this.#options;
    clearInterval(this.#sweeper);
    for (const { name, placement } of this.#served()) await queue.offWork(name, placement);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), deadlineMs)));
    const finished = await Promise.race([Promise.allSettled([...this.#active.values()]).then(() => "finished" as const), deadline]);
    clearTimeout(timer);
    if (finished === "deadline") {
      for (const runId of [...this.#active.keys()]) await this.#options.release(runId).catch((error: unknown) => process.emitWarning(`handing back run ${runId} failed: ${toCadreError(error).message}`));
      // A released run stops at its next write; its in-flight effects are aborted at once.
      await Promise.allSettled([...this.#active.values()]);
    }
    clearInterval(this.#heartbeat);
    await queue.stop({ graceful: true, timeoutMs: 1000 });
    await markWorkerStopped(store.db, this.id, now()).catch(() => {});
  }

  async #take(queueName: string, ticket: RunTicket, placement: Record<string, string>): Promise<void> {
    const work = this.#execute(queueName, ticket, placement);
    this.#active.set(ticket.runId, work);
    try {
      await work;
    } finally {
      if (this.#active.get(ticket.runId) === work) this.#active.delete(ticket.runId);
    }
  }

  async #execute(queueName: string, ticket: RunTicket, placement: Record<string, string>): Promise<void> {
    const { queue, now } = this.#options;
    let outcome: TicketOutcome;
    try {
      outcome = await this.#options.execute(ticket);
    } catch (error) {
      // The store hiccuped or the workflow is unknown here: the run stays in the store; look again shortly.
      process.emitWarning(`worker ${this.id}: run ${ticket.runId}: ${toCadreError(error).message}`);
      outcome = { kind: "leased", until: now() + 1000 };
    }
    // Another process holds the run: if it dies, its lease expires and this ticket takes the run over then.
    if (outcome.kind === "leased") await queue.enqueue(ticket, { queue: queueName, startAfter: outcome.until + 1, group: ticket.workflow, placement });
  }
}
