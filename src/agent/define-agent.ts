import { ConfigurationError } from "../errors.ts";
import type { TimeoutSetting } from "../engine/adaptive-timeout.ts";
import type { Logger } from "../engine/logger.ts";
import type { BulkheadOptions, CircuitBreakerOptions } from "../engine/agent-policies.ts";
import { validatePolicies } from "../engine/validate-policies.ts";
import { checkDataClasses, checkLabels, checkRegion } from "../policy/data-classes.ts";
import type { RetryOptions } from "../engine/resilience.ts";
import type { Tool } from "../governance/define-tool.ts";
import type { AgentBudget } from "../governance/gateway.ts";
import type { GrantSpec } from "../governance/grants.ts";
import type { AgentInventory } from "../governance/inventory.ts";
import { z } from "zod";
import { runModelLoop, type ModelAgentSettings } from "./model-agent.ts";
import type { AgentModel } from "../models/model-turn.ts";
import type { AgentMemorySettings, MemoryRecord, RememberedMemory } from "../knowledge/memory.ts";
import { invalidPlacementLabel } from "./placement.ts";

export type { AgentMemorySettings, MemoryRecord, RememberedMemory } from "../knowledge/memory.ts";

/** What an agent's `run` receives besides its input; `Tools` are the agent's declared tools. */
export interface AgentContext<Tools extends readonly Tool[] = Tool[]> {
  /** Aborted on timeout or when the run is cancelled; pass it to fetch and friends. */
  signal: AbortSignal;
  /** The run's original goal, so every agent can check its work against it. */
  goal: string | null;
  /** Stable across attempts of this step: send it to outside systems to de-duplicate. */
  idempotencyKey: string;
  runId: string;
  stepKey: string;
  attempt: number;
  logger: Logger;
  /** The agent's governed tools: every call is a journaled step through the gateway. */
  tools: AgentTools<Tools>;
  /** The agent's model, for model-backed agents: each call is a journaled, priced step. */
  model?: AgentModel;
  /**
   * Delegates to a sub-agent as a durable step of this one. Just-in-time `grants` for the
   * sub-agent must be covered by this agent's own grants: a sub-agent never holds more.
   */
  call<I, O, In>(agent: Agent<I, O, In>, input: In, options?: { grants?: GrantSpec[] }): Promise<O>;
  /** Long-term memory, for agents that declare `memory`: every remember and recall is a governed step. */
  memory?: AgentMemory;
}

/** An agent's long-term memory across runs, kept per agent and per principal (the run's). */
export interface AgentMemory {
  /** Remembers a fact for the run's principal (optionally within a thread); its retention is the collection's TTL. */
  remember(record: string | MemoryRecord): Promise<RememberedMemory>;
  /** The agent's memories of the run's principal most relevant to `query`, best first. */
  recall(query: string, options?: { limit?: number; thread?: string }): Promise<RecalledMemory[]>;
}

/** A recalled memory, with the ids to cite it. */
export interface RecalledMemory {
  text: string;
  source: string;
  documentId: string;
  chunkId: string;
  thread: string | null;
  rememberedAt: number;
  score: number;
}

/**
 * How an agent reaches its tools: by definition or by name, never by calling `run` itself.
 * A call by name is typed from the agent's declared `tools` (input and output of that tool).
 */
export interface AgentTools<Tools extends readonly Tool[] = Tool[]> {
  call<I, O, In>(tool: Tool<I, O, In>, input: In): Promise<O>;
  call<Name extends Tools[number]["name"]>(tool: Name, input: ToolInputOf<Tools, Name>): Promise<ToolOutputOf<Tools, Name>>;
}

/** The declared tool called `Name`; `unknown` when the tools' names are not literal types. */
type NamedTool<Tools extends readonly Tool[], Name extends string> = string extends Name ? unknown : Extract<Tools[number], { name: Name }>;
type ToolInputOf<Tools extends readonly Tool[], Name extends string> = NamedTool<Tools, Name> extends Tool<any, any, infer In> ? In : unknown;
type ToolOutputOf<Tools extends readonly Tool[], Name extends string> = NamedTool<Tools, Name> extends Tool<any, infer O> ? O : unknown;

export type { Logger } from "../engine/logger.ts";

export type { AgentInventory, DataAccess, RiskCategory } from "../governance/inventory.ts";

export interface AgentDefinition<I = any, O = any, In = I, Tools extends readonly Tool[] = Tool[]> extends AgentInventory {
  name: string;
  /** Validates the input; `In` is what callers pass (before defaults), `I` what `run` receives. */
  input: z.ZodType<I, In>;
  output: z.ZodType<O>;
  run(input: I, context: AgentContext<Tools>): Promise<O> | O;
  /** Present on model-backed agents: the tool loop over the AI SDK runs instead of code. */
  model?: ModelAgentSettings["model"];
  instructions?: string;
  maxTurns?: number;
  maxOutputTokens?: number;
  temperature?: number;
  goalPreamble?: boolean;
  /** Outputs with a `confidence` field below this are flagged (logged and audited) for critics and human gates. */
  confidenceThreshold?: number;
  /** Milliseconds before the attempt is aborted (STEP_TIMEOUT), or an adaptive timeout from the journaled p95. */
  timeout?: TimeoutSetting;
  retry?: RetryOptions;
  /** Stop calling the agent after repeated failures; probe again later. */
  circuitBreaker?: CircuitBreakerOptions;
  /** At most this many calls of the agent at once, across runs. */
  bulkhead?: BulkheadOptions;
  /** The tools the agent may call through `context.tools` (each still needs a grant). */
  tools?: Tools;
  /** Standing permissions, checked by the gateway on every call. */
  grants?: GrantSpec[];
  /** Money per call and standing caps per day/month, in micro-units. */
  budget?: AgentBudget;
  /** Long-term memory: `context.memory`; with `recall: n` a model-backed agent gets its n most relevant memories in its prompt. */
  memory?: AgentMemorySettings;
  /**
   * Where the agent may execute (data residency): labels a worker process must advertise
   * (`cadre worker --labels region=eu`). A distributed call goes only to a matching worker;
   * a call from a run on a worker whose labels do not match is refused (PLACEMENT_MISMATCH).
   */
  placement?: Record<string, string>;
}

/** A registered worker with an identity, schemas and inventory metadata. */
export interface Agent<I = any, O = any, In = I> extends AgentDefinition<I, O, In> {
  readonly kind: "agent";
}

const agentNamePattern = /^[a-z][a-z0-9-]{0,62}$/;

/** The facts policies read of an agent: a misspelt clearance would silently match no policy, so it fails here. */
function checkPolicyFacts(definition: { name: string; clearance?: unknown; region?: unknown; labels?: unknown }): void {
  const subject = `Agent "${definition.name}"`;
  if (definition.clearance !== undefined) {
    if (!Array.isArray(definition.clearance)) throw new ConfigurationError({ message: `${subject} has clearance ${JSON.stringify(definition.clearance)}; clearance is an array of data classes, e.g. ["financial"].`, agent: definition.name, field: "clearance" });
    checkDataClasses(subject, "clearance", definition.clearance);
  }
  checkRegion(subject, definition.region);
  checkLabels(subject, definition.labels);
}

/** A model-backed agent: `model` and `instructions` instead of `run`; input and output default to text. */
export type ModelAgentDefinition<I, O, In, Tools extends readonly Tool[] = Tool[]> = Omit<AgentDefinition<I, O, In, Tools>, "run" | "input" | "output" | "model" | "instructions"> &
  ModelAgentSettings & { input?: z.ZodType<I, In>; output?: z.ZodType<O> };

/**
 * Defines an agent: code (`run`) or model-backed (`model` + `instructions`). Names are
 * kebab-case and unique within a runtime. A model-backed agent without `input` or `output`
 * takes and returns text, and its types say so (`I`, `O` default to `string`).
 */
export function defineAgent<I = string, O = string, In = I, const Tools extends readonly Tool[] = Tool[]>(
  definition: AgentDefinition<I, O, In, Tools> | ModelAgentDefinition<I, O, In, Tools>,
): Agent<I, O, In> {
  if (!agentNamePattern.test(definition.name)) {
    throw new ConfigurationError({ message: `Agent name "${definition.name}" must be kebab-case: lowercase letters, digits and dashes, starting with a letter.`, agent: definition.name, field: "name" });
  }
  validatePolicies({ subject: `Agent "${definition.name}"`, settings: definition });
  checkPolicyFacts(definition);
  const badLabel = invalidPlacementLabel(definition.placement);
  if (badLabel) throw new ConfigurationError({ message: `Agent "${definition.name}": placement ${badLabel} may hold only letters, digits, dots, dashes and underscores.`, agent: definition.name, field: "placement" });
  if (typeof (definition as { run?: unknown }).run === "function") return { ...definition, kind: "agent" } as Agent<I, O, In>;
  if (!("model" in definition) || !definition.model || !definition.instructions) {
    throw new ConfigurationError({ message: `Agent "${definition.name}" needs either run(input, context) or model + instructions.`, agent: definition.name, field: "run" });
  }
  const modelAgent = {
    ...definition,
    input: definition.input ?? (z.string() as unknown as z.ZodType<I, In>),
    output: definition.output ?? (z.string() as unknown as z.ZodType<O>),
    modelVersion: definition.modelVersion ?? (typeof definition.model === "string" ? definition.model : `tier:${definition.model.tier}`),
    kind: "agent" as const,
  };
  return { ...modelAgent, run: (input: I, context: AgentContext) => runModelLoop(modelAgent as never, input, context) as Promise<O> } as Agent<I, O, In>;
}
