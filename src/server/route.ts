import type { Context } from "hono";
import type { z } from "zod";
import type { OperatorRole } from "../governance/operator-keys.ts";
import type { Operator } from "../operator/operator.ts";
import type { Runtime } from "../workflow/runtime.ts";
import type { Identity } from "./auth.ts";
import type { RunEventHub } from "./run-events.ts";

/** What a handler works with: the parsed request, and the operator API acting as the caller. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The operator API acting as the caller: every write it makes is audited with the caller as principal. */
  operator: Operator;
  runtime: Runtime;
  identity: Identity;
  events: RunEventHub;
  /** The raw Hono context: for streaming responses. */
  http: Context;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

/** One endpoint, declared once: its path, who may call it, its request and response schemas, and its handler. */
export interface Route<P extends z.ZodType | undefined = any, Q extends z.ZodType | undefined = any, B extends z.ZodType | undefined = any> {
  method: "get" | "post" | "delete";
  /** A Hono path: `/api/runs/:id`. */
  path: string;
  summary: string;
  tag: string;
  /** The least role that may call it; `public` needs no key. */
  role: OperatorRole | "public";
  params?: P;
  query?: Q;
  body?: B;
  /** What a success returns (documentation, and the tests check real responses against it). */
  response: z.ZodType;
  /** The success status (default 200). */
  status?: 200 | 201 | 202;
  /** The success content type (default application/json). */
  produces?: "application/json" | "text/event-stream" | "application/x-ndjson";
  /** Returns the JSON body, or a Response of its own (streams). */
  handle(context: RouteContext<Infer<P>, Infer<Q>, Infer<B>>): Promise<unknown>;
}

/** Declares a route with its handler's arguments typed from its schemas. */
export function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(route: Route<P, Q, B>): Route {
  return route as Route;
}
