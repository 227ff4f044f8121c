import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the server saw of one request: the test's own fields, the idempotency key and the sending process. */
export type Seen<F> = F & { key: string; pid: number };

/**
 * The outside world for crash and take-over tests: records every request with its
 * idempotency key and the process that sent it, answers a repeated key with its first answer,
 * holds the requests a test chooses until it lets them go, and fails those it chooses (503).
 * `read` turns a request's JSON body into the test's fields, `effectOf` names the logical
 * effect and `answer` is what a first request gets back.
 */
export class EffectServer<F> {
  readonly requests: Array<Seen<F>> = [];
  hold: (request: Seen<F>) => boolean = () => false;
  failing: (request: Seen<F>) => boolean = () => false;
  readonly #server: Server;
  readonly #answers = new Map<string, unknown>();
  readonly #held: Array<() => void> = [];
  readonly #read: (body: Record<string, unknown>) => F;
  readonly #effectOf: (request: Seen<F>) => string | number;
  readonly #answer: (request: Seen<F>) => unknown;

  constructor(options: { read: (body: Record<string, unknown>) => F; effectOf: (request: Seen<F>) => string | number; answer: (request: Seen<F>) => unknown }) {
    this.#read = options.read;
    this.#effectOf = options.effectOf;
    this.#answer = options.answer;
    this.#server = createServer((request, response) => void this.#handle(request, response));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The distinct idempotency keys each logical effect was seen under. */
  keysByEffect(): Map<string | number, Set<string>> {
    const keys = new Map<string | number, Set<string>>();
    for (const request of this.requests) {
      const effect = this.#effectOf(request);
      keys.set(effect, (keys.get(effect) ?? new Set()).add(request.key));
    }
    return keys;
  }

  release(): void {
    this.hold = () => false;
    for (const resume of this.#held.splice(0)) resume();
  }

  close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of request) body += chunk;
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const key = String(request.headers["idempotency-key"]);
    const seen = { ...this.#read(parsed), key, pid: Number(parsed.pid) } as Seen<F>;
    this.requests.push(seen);
    if (this.hold(seen)) await new Promise<void>((resolve) => this.#held.push(resolve));
    if (this.failing(seen)) return void response.writeHead(503).end();
    const answer = this.#answers.get(key) ?? this.#answer(seen);
    this.#answers.set(key, answer);
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
  }
}
