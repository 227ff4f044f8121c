import { z } from "zod";
import { ConfigurationError } from "../../errors.ts";
import { defineTool, type Tool } from "../../governance/define-tool.ts";
import type { HttpPayer } from "../http-payer.ts";

export interface PaidFetchOptions<Name extends string> {
  name: Name;
  description?: string;
  /** The URL called; without it, each call names its own (`input.url`). */
  url?: string;
  /** The most one call may pay, in micro-units: reserved before the call, the price above it refused before paying. */
  maxPrice: number;
  /** What pays: `x402Payer({ store })`. */
  payer: HttpPayer;
  /** Headers sent with every request (an `Authorization` for the payee's API). */
  headers?: Record<string, string>;
  /** The permission the calling agent needs (default `tool:<name>`). */
  scope?: string;
  timeout?: number;
}

const paidFetchInput = z.object({
  url: z.string().url().optional(),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).optional(),
  /** Sent as JSON. */
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const paidFetchOutput = z.object({
  status: z.number().int(),
  /** The answer, parsed when it is JSON. */
  body: z.unknown(),
  /** Micro-units the payee settled for this call (0 when it was free or not settled). */
  paidMicros: z.number().int().nonnegative(),
});

export type PaidFetchInput = z.input<typeof paidFetchInput>;
export type PaidFetchOutput = z.output<typeof paidFetchOutput>;

/**
 * A tool that calls a paid HTTP resource: governed like any tool (the agent needs its grant),
 * its worst-case price is `maxPrice` (the gateway holds it before the call, so an agent whose
 * budget cannot cover it is refused before anything is paid) and its actual price is what the
 * payee settled. The payment's nonce comes from the call's idempotency key: a retry pays once.
 */
export function paidFetch<Name extends string>(options: PaidFetchOptions<Name>): Tool<PaidFetchInput, PaidFetchOutput, PaidFetchInput, Name> {
  if (!Number.isSafeInteger(options.maxPrice) || options.maxPrice < 0) throw new ConfigurationError({ message: `Paid tool "${options.name}" has maxPrice ${options.maxPrice}: a whole number of micro-units ≥ 0 (use usd(0.5) for $0.50).`, tool: options.name, field: "maxPrice" });
  return defineTool({
    name: options.name,
    description: options.description ?? `Calls ${options.url ?? "a paid HTTP resource"}, paying up to ${options.maxPrice} micro-units per call with x402.`,
    input: paidFetchInput as z.ZodType<PaidFetchInput, PaidFetchInput>,
    output: paidFetchOutput,
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.timeout ? { timeout: options.timeout } : {}),
    resource: (input) => input.url ?? options.url ?? "",
    price: (_input, output) => (output ? output.paidMicros : options.maxPrice),
    async run(input, context) {
      const url = input.url ?? options.url;
      if (!url) throw new ConfigurationError({ message: `Paid tool "${options.name}" has no URL: give one in paidFetch({ url }) or in the call's input.url.`, tool: options.name, field: "url" });
      const session = options.payer.session({ maxMicros: options.maxPrice, idempotencyKey: context.idempotencyKey, agent: context.agent, signal: context.signal });
      const headers: Record<string, string> = { ...options.headers, ...input.headers, "idempotency-key": context.idempotencyKey };
      if (input.body !== undefined) headers["content-type"] = "application/json";
      if (context.traceparent) headers.traceparent = context.traceparent;
      const response = await session.fetch(url, { method: input.method ?? (input.body === undefined ? "GET" : "POST"), headers, ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        // Not JSON: the text as it came.
      }
      return { status: response.status, body, paidMicros: session.paid() };
    },
  });
}
