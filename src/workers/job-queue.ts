import { sql } from "kysely";
import { PgBoss, fromKysely, type Job } from "pg-boss";
import { ConfigurationError } from "../errors.ts";
import type { Db, Store } from "../store/store.ts";
import { jobQueueName, type RunTicket } from "./run-ticket.ts";

/** How fast the queue reacts; the defaults suit a LAN deployment, tests and benches lower them. */
export interface JobQueueTuning {
  /** How often an idle worker polls (seconds, at least 0.5); LISTEN/NOTIFY wakes it sooner. Default 2. */
  pollingSeconds?: number;
  /**
   * A claimed ticket whose worker stops heartbeating for this long is handed to another worker
   * (seconds, at least 10). Together with the run lease this bounds failover. Default 10.
   */
  heartbeatSeconds?: number;
  /** How often each worker looks for tickets of dead workers (seconds, at least 1). Default 1. */
  monitorSeconds?: number;
}

export interface EnqueueOptions {
  queue: string;
  /** Not before this moment (epoch ms): deadline wakes, and re-tries of a leased run. */
  startAfter?: number;
  /** Higher first; used for fairness between workflows. */
  priority?: number;
  /** The concurrency group (the workflow): limits how many of its tickets run at once, across all workers. */
  group?: string;
  /** Enqueue inside this store transaction: the ticket exists exactly when the run it names does. */
  tx?: Db;
  /** Labels a worker must advertise to take the ticket. */
  placement?: Record<string, string>;
}

/**
 * Run tickets in PostgreSQL through pg-boss, in a schema of its own beside the Cadre store's
 * schema (`<schema>_jobs`), so stores sharing a database never see each other's tickets.
 */
export class JobQueue {
  readonly boss: PgBoss;
  readonly schema: string;
  readonly #tuning: Required<JobQueueTuning>;
  readonly #created = new Set<string>();

  private constructor(boss: PgBoss, schema: string, tuning: Required<JobQueueTuning>) {
    this.boss = boss;
    this.schema = schema;
    this.#tuning = tuning;
  }

  /**
   * Opens (and on first use installs) the job schema of `store`. `connectionString` (the store's
   * URL, with its password) gives pg-boss a pool of its own with LISTEN/NOTIFY; without it pg-boss
   * shares the store's connections and polls.
   */
  static async open(store: Store, options: { connectionString?: string; tuning?: JobQueueTuning; supervise?: boolean } = {}): Promise<JobQueue> {
    if (store.dialect !== "postgres") {
      throw new ConfigurationError({ message: `dispatch: "queue" needs a PostgreSQL store: worker processes share runs through it, and ${store.location} is SQLite. Use --store postgres://… (or CADRE_STORE), or leave dispatch at "in-process".`, field: "dispatch", store: store.location });
    }
    const tuning = { pollingSeconds: 2, heartbeatSeconds: 10, monitorSeconds: 1, ...options.tuning };
    const schema = jobSchemaFor(await currentSchema(store));
    const connection = options.connectionString ? { connectionString: withoutSchema(options.connectionString), max: 4, useListenNotify: true } : { db: fromKysely(store.db) };
    const boss = new PgBoss({
      ...connection,
      schema,
      supervise: options.supervise ?? true,
      schedule: false,
      superviseIntervalSeconds: tuning.monitorSeconds,
      monitorIntervalSeconds: tuning.monitorSeconds,
      // The ready count behind burst fetching (below) is refreshed this often.
      queueCacheIntervalSeconds: 1,
      registerInstance: false,
      openTelemetry: { enabled: false },
    });
    // pg-boss reports connection trouble as events; its own retry loop recovers, so only note them.
    boss.on("error", (error) => process.emitWarning(`pg-boss: ${error.message}`));
    await boss.start();
    return new JobQueue(boss, schema, tuning);
  }

  get tuning(): Required<JobQueueTuning> {
    return this.#tuning;
  }

  /** Creates the pg-boss queue for a Cadre queue once: tickets are retried forever, Cadre decides when a run fails. */
  async ensureQueue(queue: string, placement?: Record<string, string>): Promise<string> {
    const name = jobQueueName(queue, placement);
    if (this.#created.has(name)) return name;
    if (!(await this.boss.getQueue(name))) {
      await this.boss
        .createQueue(name, { heartbeatSeconds: this.#tuning.heartbeatSeconds, expireInSeconds: 24 * 3600, retryLimit: 1_000_000, retryDelay: 0, notify: true } as Parameters<PgBoss["createQueue"]>[1])
        .catch(async (error: unknown) => {
          // Two processes creating the same queue at once: the other one won.
          if (!(await this.boss.getQueue(name))) throw error;
        });
    }
    this.#created.add(name);
    return name;
  }

  enqueue(ticket: RunTicket, options: EnqueueOptions): Promise<void> {
    return this.enqueueAll([ticket], options);
  }

  /** Enqueues `tickets` with the same options in one statement (pg-boss `insert`, which applies the queue's settings as `send` does). */
  async enqueueAll(tickets: RunTicket[], options: EnqueueOptions): Promise<void> {
    const name = await this.ensureQueue(options.queue, options.placement);
    const common = {
      ...(options.startAfter !== undefined ? { startAfter: new Date(options.startAfter) } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.group ? { group: { id: options.group, tier: options.group } } : {}),
    };
    await this.boss.insert(name, tickets.map((ticket) => ({ data: { ...ticket }, ...common })), options.tx ? { db: fromKysely(options.tx) } : {});
  }

  /** Executes tickets of `queue` with `handler`, at most `concurrency` at once here and `groupLimits[workflow]` at once everywhere. */
  async work(queue: string, options: { concurrency: number; groupLimits: Record<string, number>; placement?: Record<string, string> }, handler: (ticket: RunTicket, job: Job<RunTicket>) => Promise<void>): Promise<string> {
    const name = await this.ensureQueue(queue, options.placement);
    const limited = Object.keys(options.groupLimits).length > 0;
    return this.boss.work<RunTicket>(
      name,
      {
        localConcurrency: options.concurrency,
        batchSize: 1,
        pollingIntervalSeconds: this.#tuning.pollingSeconds,
        notifyPollingIntervalSeconds: this.#tuning.pollingSeconds,
        // One ticket per fetch keeps a slow run from holding others back; with a backlog each
        // slot fetches again at once instead of waiting for the next poll or NOTIFY.
        burstWhenReadyExceeds: 1,
        // A workflow without a limit may use every slot; the large default keeps it unlimited.
        ...(limited ? { groupConcurrency: { default: 1_000_000, tiers: options.groupLimits } } : {}),
      },
      async ([job]) => {
        if (job) await handler(job.data, job);
      },
    );
  }

  /** Stops taking new tickets of `queue` at `placement` (those in hand finish). */
  offWork(queue: string, placement?: Record<string, string>): Promise<void> {
    return this.boss.offWork(jobQueueName(queue, placement), { wait: false });
  }

  async stop(options: { graceful: boolean; timeoutMs: number }): Promise<void> {
    await this.boss.stop({ graceful: options.graceful, timeout: Math.max(1000, options.timeoutMs), close: true });
  }
}

/** The pg-boss schema of a Cadre store schema; PostgreSQL names are at most 63 bytes. */
export function jobSchemaFor(storeSchema: string): string {
  const schema = storeSchema === "public" ? "cadre_jobs" : `${storeSchema}_jobs`;
  if (Buffer.byteLength(schema) > 63) {
    throw new ConfigurationError({ message: `The store schema "${storeSchema}" is too long for its job schema "${schema}" (PostgreSQL names are at most 63 bytes). Use a schema name of at most 58 bytes.`, field: "schema", schema: storeSchema });
  }
  return schema;
}

async function currentSchema(store: Store): Promise<string> {
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  return result.rows[0]!.schema;
}

function withoutSchema(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.delete("schema");
  return parsed.toString();
}
