import { ConfigurationError } from "../errors.ts";
import type { Agent } from "../agent/define-agent.ts";
import { generateId } from "../engine/ids.ts";
import type { AuditSigningOptions } from "../governance/audit-signing-key.ts";
import type { ModelConfig } from "../models/model-registry.ts";
import type { KnowledgeCollection } from "../knowledge/define-knowledge.ts";
import { defaultMaxPayloadBytes } from "../store/payloads.ts";
import type { PolicyOptions } from "../policy/policy-sources.ts";
import type { Store } from "../store/store.ts";
import type { JobQueueTuning } from "../workers/job-queue.ts";
import type { Workflow } from "./define-workflow.ts";
import { resolveExposure, type ExposedTarget, type Exposure } from "./exposure.ts";
import type { RuntimeObserver } from "../engine/run-observer.ts";
import type { McpServer } from "../interop/mcp/mcp-server.ts";
import { resolveTelemetrySettings, type TelemetryOptions, type TelemetrySettings } from "../telemetry/telemetry-settings.ts";

/** How runs handed to workers are queued and watched. */
export interface QueueOptions extends JobQueueTuning {
  /** How often a process waiting for a run executed elsewhere reads its state (ms, default 100). */
  watchMs?: number;
}

/** Everything a runtime can be told; only what differs from the defaults needs saying. */
export interface RuntimeOptions {
  /** A store, or its location (SQLite path or postgres:// URL). Default: CADRE_STORE or .cadre/cadre.db. */
  store?: Store | string;
  agents?: Agent[];
  workflows?: Workflow[];
  /** Who runs act for, recorded on every run and audit record (default: CADRE_PRINCIPAL, else the OS user). */
  principal?: string;
  /** How long a run's lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Refuse calls to high-risk agents whose review is overdue (default false: warn in `cadre agents`). */
  blockOverdueReviews?: boolean;
  /** Providers, tiers and prices for model-backed agents (and embedding models). */
  models?: ModelConfig;
  /** Knowledge collections (defineKnowledge), recorded in the store when the runtime opens. */
  knowledge?: KnowledgeCollection[];
  /** The largest JSON value a run may journal: its input and output, each step's input and output (default 8 MiB). */
  maxPayloadBytes?: number;
  /** Sign an audit checkpoint at every run end with this key (or CADRE_AUDIT_KEY); nothing is signed without a key. */
  audit?: AuditSigningOptions;
  /**
   * OpenTelemetry traces and metrics over OTLP/HTTP: on when given (unless `enabled: false`) or
   * when OTEL_EXPORTER_OTLP_ENDPOINT is set; OTEL_SDK_DISABLED=true turns it off. Off, nothing
   * of OpenTelemetry is loaded.
   */
  telemetry?: TelemetryOptions;
  /** Told of every run, step and gateway decision: e.g. `createTelemetry({ spanExporter })` from `cadre/telemetry`. */
  observers?: RuntimeObserver[];
  /**
   * Where runs execute: "in-process" (default) here; "queue" hands every run (and child run,
   * subscriber run, resume and deadline wake) to worker processes (`cadre worker`) through
   * PostgreSQL. "queue" needs a PostgreSQL store.
   */
  dispatch?: "in-process" | "queue";
  /** Queue tuning for `dispatch: "queue"`. */
  queue?: QueueOptions;
  /** The organisation's Cedar policies (`dir` or `files`, and `schema`), decided at every effect; read and validated when the runtime opens. */
  policies?: PolicyOptions;
  /** The workflows and agents offered to callers outside the process (MCP, A2A, x402 prices); nothing is exposed unless named. */
  expose?: Exposure;
  /**
   * MCP servers (`mcpServer(...)`) whose tools the agents use. A server whose tools an agent
   * holds is opened even when not listed here; listing it keeps it in one place in a config.
   * Every server is started (stdio) or connected (HTTP) when the runtime opens, and its tools'
   * schemas are read then; it is stopped when the last runtime using it closes.
   */
  mcpServers?: McpServer[];
  /** The clock (epoch ms): injectable for tests. */
  now?: () => number;
  /** New ids (`run_…`): injectable for tests. */
  generateId?: (prefix: string) => string;
  /**
   * Record the agents in the inventory and give new workflows their first allocation when the
   * runtime opens (default true). False for a runtime that only replays runs (`cadre replay`):
   * it writes nothing to the store but the replay's audit record, even for changed code.
   */
  provision?: boolean;
}

/** The options with every default applied, once, when a runtime opens. */
export interface ResolvedRuntimeOptions {
  agents: Agent[];
  workflows: Workflow[];
  principal: string;
  leaseMs: number;
  blockOverdueReviews: boolean;
  models: ModelConfig | undefined;
  knowledge: KnowledgeCollection[];
  maxPayloadBytes: number;
  audit: AuditSigningOptions;
  /** Undefined when telemetry is off. */
  telemetry: TelemetrySettings | undefined;
  observers: RuntimeObserver[];
  dispatch: "in-process" | "queue";
  queue: QueueOptions;
  policies: PolicyOptions | undefined;
  /** What `expose` names, checked against the agents and workflows. */
  exposed: ExposedTarget[];
  mcpServers: McpServer[];
  now: () => number;
  generateId: (prefix: string) => string;
  provision: boolean;
}

export function resolveRuntimeOptions(options: RuntimeOptions, environment: NodeJS.ProcessEnv = process.env): ResolvedRuntimeOptions {
  const agents = options.agents ?? [];
  const exposed = resolveExposure(options.expose, { agents, workflows: options.workflows ?? [] });
  // An exposed agent's calls run as a workflow of their own, registered beside the others.
  const workflows = [...(options.workflows ?? []), ...exposed.flatMap((target) => (target.kind === "agent" ? [target.workflow] : []))];
  return {
    agents,
    workflows,
    principal: options.principal ?? environment.CADRE_PRINCIPAL ?? environment.USER ?? "unknown",
    leaseMs: options.leaseMs ?? 30_000,
    blockOverdueReviews: options.blockOverdueReviews ?? false,
    models: options.models,
    knowledge: options.knowledge ?? [],
    maxPayloadBytes: options.maxPayloadBytes ?? defaultMaxPayloadBytes,
    audit: options.audit ?? {},
    telemetry: resolveTelemetrySettings(options.telemetry, environment),
    observers: options.observers ?? [],
    dispatch: resolveDispatch(options.dispatch ?? environment.CADRE_DISPATCH),
    queue: options.queue ?? {},
    policies: options.policies,
    exposed,
    mcpServers: options.mcpServers ?? [],
    now: options.now ?? Date.now,
    generateId: options.generateId ?? generateId,
    provision: options.provision ?? true,
  };
}

export type { CadreConfig } from "./config-shape.ts";

function resolveDispatch(value: string | undefined): "in-process" | "queue" {
  if (value === undefined || value === "in-process" || value === "queue") return value ?? "in-process";
  throw new ConfigurationError({ message: `dispatch must be "in-process" or "queue", not "${value}".`, field: "dispatch", value });
}
