import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hashString, seededRandom } from "./random.ts";

/** What the demo credit bureau returns for an applicant. */
export interface CreditReport {
  applicantId: string;
  score: number;
  delinquencies: number;
  openAccounts: number;
  utilization: number;
  inquiries6m: number;
  bureau: "cadre-demo-bureau";
}

export interface BureauServerOptions {
  port?: number;
  /** Response latency range in ms (default 150–350, like a real bureau API). */
  latencyMs?: [number, number];
  /** Fails this share of requests with HTTP 503 (seeded, so runs are reproducible). */
  chaos?: { failureRate: number; seed?: number };
  /** Which applicant ids exist; others get 404. */
  knownApplicant?: (applicantId: string) => boolean;
  /** Do not keep the process alive for the server (for a bureau started on demand). */
  unref?: boolean;
}

export interface BureauServer {
  url: string;
  close(): Promise<void>;
  stats(): { requests: number; failures: number; billable: number };
}

/** Derives a stable report from the applicant id: the same applicant always gets the same report. */
export function reportFor(applicantId: string): CreditReport {
  const random = seededRandom(hashString(applicantId));
  const risk = random();
  return {
    applicantId,
    score: Math.round(850 - risk * 420 - random() * 60),
    delinquencies: risk > 0.7 ? 1 + Math.floor(random() * 4) : risk > 0.5 ? Math.floor(random() * 2) : 0,
    openAccounts: 1 + Math.floor(random() * 8),
    utilization: Number(Math.min(0.98, risk * 0.8 + random() * 0.2).toFixed(2)),
    inquiries6m: Math.floor(risk * 6 * random()),
    bureau: "cadre-demo-bureau",
  };
}

/**
 * A local credit bureau over real HTTP on 127.0.0.1: `GET /v1/reports/:applicantId`.
 * An `Idempotency-Key` header makes a retried request return the cached report without
 * billing it again, as a real paid API would.
 */
export async function startBureauServer(options: BureauServerOptions = {}): Promise<BureauServer> {
  const [minLatency, maxLatency] = options.latencyMs ?? [150, 350];
  const chaos = options.chaos ? seededRandom(options.chaos.seed ?? 7) : undefined;
  const jitter = seededRandom(11);
  const cache = new Map<string, string>();
  const counters = { requests: 0, failures: 0, billable: 0 };

  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(typeof body === "string" ? body : JSON.stringify(body));
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    counters.requests += 1;
    const match = /^\/v1\/reports\/([A-Za-z0-9-]+)$/.exec(request.url ?? "");
    if (request.method !== "GET" || !match) return send(response, 404, { error: "not_found" });
    const applicantId = match[1]!;
    const latency = minLatency + jitter() * (maxLatency - minLatency);
    setTimeout(() => {
      if (chaos && chaos() < options.chaos!.failureRate) {
        counters.failures += 1;
        return send(response, 503, { error: "bureau_unavailable" });
      }
      if (options.knownApplicant && !options.knownApplicant(applicantId)) return send(response, 404, { error: "unknown_applicant", applicantId });
      const key = request.headers["idempotency-key"];
      const cached = typeof key === "string" ? cache.get(key) : undefined;
      if (cached) return send(response, 200, cached);
      const body = JSON.stringify(reportFor(applicantId));
      counters.billable += 1;
      if (typeof key === "string") cache.set(key, body);
      send(response, 200, body);
    }, latency);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  if (options.unref) server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counters }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
