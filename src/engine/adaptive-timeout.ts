import type { Store } from "../store/store.ts";
import { recentAgentCallDurations } from "./journal.ts";

/** A timeout derived from the agent's own journaled latencies (seed 003: cascade timeouts). */
export interface AdaptiveTimeout {
  p95: true;
  /** Multiplier on the p95 (default 1.5). */
  factor?: number;
  /** Bounds of the derived timeout in ms. */
  min?: number;
  max?: number;
  /** Samples needed before the p95 is trusted (default 20). */
  minSamples?: number;
  /** The timeout used until enough samples exist (ms). */
  fallback: number;
}

export type TimeoutSetting = number | AdaptiveTimeout;

/** The 95th percentile (nearest rank) of a list of durations. */
export function percentile95(durations: number[]): number {
  const sorted = [...durations].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
}

const sampleSize = 200;
const refreshMs = 10_000;

interface Figures {
  samples: number;
  p95: number;
}

/**
 * Per-agent timeouts from the p95 of the last completed calls in the journal. The query runs
 * at most every 10 s per agent (concurrent callers share it), never on the hot path of every
 * call; if it fails, the fallback applies until the next refresh.
 */
export class AdaptiveTimeouts {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { at: number; figures: Promise<Figures | undefined> }>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async timeoutFor(agent: string, setting: TimeoutSetting | undefined): Promise<number | undefined> {
    if (setting === undefined || typeof setting === "number") return setting;
    const figures = await this.#figures(agent);
    if (!figures || figures.samples < (setting.minSamples ?? 20)) return setting.fallback;
    const derived = Math.ceil(figures.p95 * (setting.factor ?? 1.5));
    return Math.min(setting.max ?? Infinity, Math.max(setting.min ?? 1, derived));
  }

  /** Forgets cached figures (after seeding the journal in tests, or on demand). */
  invalidate(agent?: string): void {
    if (agent) this.#cache.delete(agent);
    else this.#cache.clear();
  }

  #figures(agent: string): Promise<Figures | undefined> {
    const cached = this.#cache.get(agent);
    if (cached && this.#now() - cached.at <= refreshMs) return cached.figures;
    const figures = this.#query(agent).catch(() => undefined);
    this.#cache.set(agent, { at: this.#now(), figures });
    return figures;
  }

  async #query(agent: string): Promise<Figures> {
    const durations = await recentAgentCallDurations(this.#store.db, agent, sampleSize);
    return { samples: durations.length, p95: percentile95(durations) };
  }
}
