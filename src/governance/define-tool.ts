import { ConfigurationError } from "../errors.ts";
import type { z } from "zod";
import type { BulkheadOptions, CircuitBreakerOptions } from "../engine/agent-policies.ts";
import { validatePolicies } from "../engine/validate-policies.ts";
import { checkDataClasses, checkRegion, type DataClass } from "../policy/data-classes.ts";

/** What a tool's `run` receives: it never sees the ledger or the grants, only what it needs. */
export interface ToolContext {
  signal: AbortSignal;
  /** Stable across retries of this call: send it to the outside system to de-duplicate. */
  idempotencyKey: string;
  agent: string;
  runId: string;
  stepKey: string;
  /**
   * The W3C `traceparent` of this call's span when tracing is on: send it as the
   * `traceparent` header of an HTTP request so the remote service joins the run's trace.
   */
  traceparent?: string;
}

/**
 * A tool's price in micro-units: fixed, or a function. The function is called with the
 * input alone before the call (it must return the worst case, which is reserved) and with
 * the input and output afterwards (the actual cost, which is charged).
 */
export type ToolPrice<I, O> = number | ((input: I, output?: O) => number);

export interface ToolDefinition<I = any, O = any, In = I, Name extends string = string> {
  /** Kept as a literal type, so `context.tools.call("<name>", input)` is typed from the agent's tools. */
  name: Name;
  description: string;
  input: z.ZodType<I, In>;
  output: z.ZodType<O>;
  /** The permission the calling agent must hold (default `tool:<name>`). */
  scope?: string;
  /** The resource the call touches, matched against the grant's pattern (default: the tool name). */
  resource?: string | ((input: I) => string);
  price?: ToolPrice<I, O>;
  /** What kind of data the tool handles (`pii`, `financial`, ...): policies compare it with the calling agent's clearance. */
  dataClass?: DataClass;
  /** Where the tool sends data (`eu`, `us-east-1`): policies on residency read it. */
  region?: string;
  /** Milliseconds before the call is aborted. */
  timeout?: number;
  /** Stop calling the tool after repeated failures, across agents and runs. */
  circuitBreaker?: CircuitBreakerOptions;
  bulkhead?: BulkheadOptions;
  /**
   * Ask a person before the call: always (`true`), or when the predicate picks the (validated)
   * input. The run parks on an approval named `tool:<name>` that names the agent, the tool and
   * the input; approved, the call runs when the run resumes; rejected, the agent gets an
   * APPROVAL_REJECTED error instead of the result (a model-backed agent sees it as the tool's
   * answer and can adapt). The predicate must depend on the input alone: a resume asks it again.
   */
  needsApproval?: boolean | ((input: I) => boolean);
  run(input: I, context: ToolContext): Promise<O> | O;
}

/** A governed capability: agents reach it only through `context.tools`, never by calling `run`. */
export interface Tool<I = any, O = any, In = I, Name extends string = string> extends ToolDefinition<I, O, In, Name> {
  readonly kind: "tool";
  readonly scope: string;
}

const toolNamePattern = /^[a-z][a-z0-9_.-]{0,62}$/;

export function defineTool<I, O, In = I, Name extends string = string>(definition: ToolDefinition<I, O, In, Name>): Tool<I, O, In, Name> {
  if (!toolNamePattern.test(definition.name)) {
    throw new ConfigurationError({ message: `Tool name "${definition.name}" must be lowercase letters, digits, dashes, dots or underscores, starting with a letter.`, tool: definition.name, field: "name" });
  }
  if (typeof definition.price === "number" && (!Number.isSafeInteger(definition.price) || definition.price < 0)) {
    throw new ConfigurationError({ message: `Tool "${definition.name}" has price ${definition.price}: prices are non-negative integer micro-units (use usd(0.5) for $0.50).`, tool: definition.name, field: "price" });
  }
  if (definition.needsApproval !== undefined && typeof definition.needsApproval !== "boolean" && typeof definition.needsApproval !== "function") {
    throw new ConfigurationError({ message: `Tool "${definition.name}" has needsApproval ${JSON.stringify(definition.needsApproval)}: use true, false or a function of the tool's input that returns a boolean.`, tool: definition.name, field: "needsApproval" });
  }
  validatePolicies({ subject: `Tool "${definition.name}"`, settings: definition });
  if (definition.dataClass !== undefined) checkDataClasses(`Tool "${definition.name}"`, "dataClass", [definition.dataClass]);
  checkRegion(`Tool "${definition.name}"`, definition.region);
  return { ...definition, scope: definition.scope ?? `tool:${definition.name}`, kind: "tool" };
}

export function resourceOf<I>(tool: Tool<I>, input: I): string {
  if (typeof tool.resource === "function") return tool.resource(input);
  return tool.resource ?? tool.name;
}

export function priceOf<I, O>(tool: Tool<I, O>, input: I, output?: O): number {
  const price = typeof tool.price === "function" ? tool.price(input, output) : (tool.price ?? 0);
  if (!Number.isSafeInteger(price) || price < 0) throw new ConfigurationError({ message: `Tool "${tool.name}" computed price ${price}; prices are non-negative integer micro-units.`, tool: tool.name, field: "price" });
  return price;
}
