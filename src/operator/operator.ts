import type { Store } from "../store/store.ts";
import { AgentOperations } from "./agents.ts";
import { ApprovalOperations } from "./approvals.ts";
import { AuditOperations } from "./audit.ts";
import { BudgetOperations } from "./budgets.ts";
import { CostOperations } from "./costs.ts";
import { CredentialOperations } from "./credentials.ts";
import { EvalOperations } from "./evals.ts";
import { GrantOperations } from "./grants.ts";
import { OperatorKeyOperations } from "./operator-keys.ts";
import { PaymentOperations } from "./payments.ts";
import { PolicyOperations } from "./policies.ts";
import type { OperatorContext } from "./operator-context.ts";
import { KnowledgeOperations, MemoryOperations } from "./knowledge.ts";
import { KnowledgeBase } from "../knowledge/knowledge-base.ts";
import type { ModelConfig } from "../models/model-registry.ts";
import { RunOperations } from "./runs.ts";
import { WorkerOperations } from "./workers.ts";

export interface OperatorOptions {
  /** Who acts: named in the audit record of every decision (default `operator`). */
  principal?: string;
  /** The clock (epoch ms), injectable for tests. */
  now?: () => number;
  /** Embedding models of knowledge collections are resolved from it (providers, instances, prices). */
  models?: ModelConfig;
}

/**
 * Everything a person or a program does to a store without the workflows' code: runs,
 * approvals, agents, grants, credentials, budgets, spend, audit, knowledge, memory, policies, x402 payments,
 * token costs and stored evaluations. Returns plain objects
 * (money in integer micro-units, times in epoch ms) and throws CadreErrors. It never opens
 * or closes the store; resuming a run needs the workflow's code and stays with the Runtime.
 */
export class Operator {
  readonly runs: RunOperations;
  readonly approvals: ApprovalOperations;
  readonly agents: AgentOperations;
  readonly grants: GrantOperations;
  readonly credentials: CredentialOperations;
  readonly budgets: BudgetOperations;
  readonly audit: AuditOperations;
  readonly costs: CostOperations;
  readonly evals: EvalOperations;
  readonly workers: WorkerOperations;
  readonly keys: OperatorKeyOperations;
  readonly knowledge: KnowledgeOperations;
  readonly memory: MemoryOperations;
  readonly policies: PolicyOperations;
  readonly payments: PaymentOperations;
  readonly #store: Store;
  readonly #options: OperatorOptions;
  readonly #now: () => number;

  constructor(store: Store, options: OperatorOptions = {}) {
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const context: OperatorContext = { store, principal: options.principal ?? "operator", now: this.#now };
    this.runs = new RunOperations(context);
    this.approvals = new ApprovalOperations(context);
    this.agents = new AgentOperations(context);
    this.grants = new GrantOperations(context, this.agents);
    this.credentials = new CredentialOperations(context, this.agents);
    this.budgets = new BudgetOperations(context);
    this.audit = new AuditOperations(context);
    this.costs = new CostOperations(context);
    this.evals = new EvalOperations(context);
    this.workers = new WorkerOperations(context);
    this.keys = new OperatorKeyOperations(context);
    this.knowledge = new KnowledgeOperations(context, new KnowledgeBase({ store, models: options.models, now: context.now }));
    this.memory = new MemoryOperations(context);
    this.policies = new PolicyOperations(context);
    this.payments = new PaymentOperations(context);
  }

  /** The same store and clock, acting as `principal`: what a server does for each authenticated request. */
  as(principal: string): Operator {
    return new Operator(this.#store, { ...this.#options, principal, now: this.#now });
  }
}

/** The operator API over an open store. */
export function openOperator(options: OperatorOptions & { store: Store }): Operator {
  return new Operator(options.store, options);
}
