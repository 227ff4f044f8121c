import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { creditReportFor } from "./credit-report.ts";
import { hashString, seededRandom } from "./random.ts";
import { listApplicantIds, openTransactionsDataset } from "./transactions.ts";

export type { CreditReport } from "./credit-report.ts";

/** Makes the bureau misbehave, as a real dependency sometimes does. */
export interface BureauChaos {
  /** Share of report requests answered with HTTP 503, 0..1. */
  failureRate: number;
  /** Share of report requests delayed by a further `slowMs`, 0..1. */
  slowRate?: number;
  slowMs?: number;
}

export interface BureauServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Response latency range in ms (default 150–350, like a real bureau API). */
  latencyMs?: [number, number];
  chaos?: BureauChaos;
  /** Seeds latency and chaos, so the same requests in the same order get the same outcomes. */
  seed?: number;
  /** Which applicant ids the bureau has a file on (others get 404); by default those in the shipped dataset. */
  applicants?: Iterable<string> | ((applicantId: string) => boolean);
  /** Do not keep the process alive for the server (for a bureau started on demand). */
  unref?: boolean;
}

/** Counters since the server started. */
export interface BureauStats {
  requests: number;
  /** Requests answered 503 by chaos. */
  failures: number;
  /** Reports produced and charged for; an idempotent replay is not charged again. */
  billable: number;
  /** Requests answered from the idempotency cache. */
  replayed: number;
  /** Requests whose caller went away before the answer: never answered, never charged. */
  abandoned: number;
}

export interface BureauServer {
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): BureauStats;
}

const defaultLatencyMs: [number, number] = [150, 350];
const defaultSlowMs = 2_000;
const defaultSeed = 1;
const reportPath = /^\/v1\/reports\/([^/?#]+)$/;

/**
 * A local credit bureau over real HTTP on 127.0.0.1: `GET /v1/reports/:applicantId`. Each
 * answer's `Server-Timing: latency;dur=<ms>` header is the delay the server drew for it.
 * An `Idempotency-Key` header makes a retried request get the first response's body back
 * without a new charge, as a real paid API does; reusing a key for another applicant is a 422.
 */
export async function startBureauServer(options: BureauServerOptions = {}): Promise<BureauServer> {
  const [minimumLatency, maximumLatency] = options.latencyMs ?? defaultLatencyMs;
  if (!(minimumLatency >= 0 && maximumLatency >= minimumLatency)) throw new Error(`latencyMs must be [min, max] with 0 <= min <= max, got [${minimumLatency}, ${maximumLatency}]`);
  const seed = options.seed ?? defaultSeed;
  // Separate streams: switching chaos on must not change the latencies, nor the reverse.
  const chaosRandom = seededRandom(seed);
  const latencyRandom = seededRandom(hashString(`latency:${seed}`));
  const isKnown = knownApplicants(options.applicants);
  const idempotentResponses = new Map<string, { applicantId: string; body: string }>();
  const counters: BureauStats = { requests: 0, failures: 0, billable: 0, replayed: 0, abandoned: 0 };
  const pending = new Set<NodeJS.Timeout>();

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (response.destroyed) return;
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  };

  const answer = (request: IncomingMessage, response: ServerResponse, applicantId: string, failed: boolean) => {
    if (failed) {
      counters.failures += 1;
      return send(response, 503, { error: "bureau_unavailable", message: "The bureau is temporarily unavailable; retry later." }, { "retry-after": "1" });
    }
    if (!isKnown(applicantId)) return send(response, 404, { error: "unknown_applicant", applicantId });
    const key = request.headers["idempotency-key"];
    if (typeof key === "string" && key !== "") {
      const previous = idempotentResponses.get(key);
      if (previous && previous.applicantId !== applicantId) {
        return send(response, 422, { error: "idempotency_key_reused", message: `Idempotency-Key already used for ${previous.applicantId}.` });
      }
      if (previous) {
        counters.replayed += 1;
        return send(response, 200, previous.body, { "idempotent-replayed": "true" });
      }
    }
    const body = JSON.stringify(creditReportFor(applicantId));
    counters.billable += 1;
    if (typeof key === "string" && key !== "") idempotentResponses.set(key, { applicantId, body });
    send(response, 200, body);
  };

  const server = createServer((request, response) => {
    counters.requests += 1;
    const match = reportPath.exec(request.url ?? "");
    if (!match) return send(response, 404, { error: "not_found", message: "Try GET /v1/reports/:applicantId." });
    if (request.method !== "GET") return send(response, 405, { error: "method_not_allowed" }, { allow: "GET" });
    let applicantId: string;
    try {
      applicantId = decodeURIComponent(match[1]!);
    } catch {
      return send(response, 400, { error: "bad_applicant_id" });
    }
    // Outcomes are drawn on arrival, so they follow request order, not timer order.
    const failed = options.chaos ? chaosRandom() < options.chaos.failureRate : false;
    const slow = options.chaos?.slowRate ? chaosRandom() < options.chaos.slowRate : false;
    const latency = minimumLatency + latencyRandom() * (maximumLatency - minimumLatency) + (slow ? (options.chaos?.slowMs ?? defaultSlowMs) : 0);
    // Says how long the server chose to wait, so a client can tell its own delays from the bureau's.
    response.setHeader("server-timing", `latency;dur=${latency.toFixed(1)}`);
    const timer = setTimeout(() => {
      pending.delete(timer);
      answer(request, response, applicantId, failed);
    }, latency);
    pending.add(timer);
    // A caller that gave up (timeout, abort) gets nothing and is not billed.
    response.on("close", () => {
      if (pending.delete(timer)) counters.abandoned += 1;
      clearTimeout(timer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  if (options.unref) server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function knownApplicants(applicants: BureauServerOptions["applicants"]): (applicantId: string) => boolean {
  if (typeof applicants === "function") return applicants;
  if (applicants) {
    const ids = new Set(applicants);
    return (applicantId) => ids.has(applicantId);
  }
  const dataset = openTransactionsDataset();
  try {
    const ids = new Set(listApplicantIds(dataset));
    return (applicantId) => ids.has(applicantId);
  } finally {
    dataset.close();
  }
}
