export { CadreError, ConfigurationError, InputValidationError, OutputValidationError, InternalError, StepFailedError, errorCatalog } from "./errors.ts";
export type { CadreErrorOptions, ErrorCode, ErrorFault, MessageDetails, SerializedError } from "./errors.ts";

export { openStore, defaultStoreLocation, StoreCorruptError, StoreNotCadreError, StoreTooNewError, latestSchemaVersion } from "./store/index.ts";
export type { Store, StoreDialect, RunStatus, StepStatus, StepType } from "./store/index.ts";

export { NonDeterminismError, StepTimeoutError, UnknownRunError, RunLeasedError, RunNotResumableError, AbortedError } from "./engine/engine-errors.ts";
export type { RuntimeEvents, RuntimeEventName, RuntimeEvent } from "./engine/events.ts";
export type { RuntimeObserver, RunObservation, StepObservation, ObservedRun, ObservedStep } from "./engine/run-observer.ts";
export type { TelemetryOptions, OtlpProtocol } from "./telemetry/telemetry-settings.ts";
export type { JournalEntry } from "./engine/journal.ts";
export type { RunRecord, RunFilter } from "./engine/run-records.ts";
export type { RetryOptions } from "./engine/resilience.ts";
export type { AttemptContext } from "./engine/run-step.ts";

export { defineAgent } from "./agent/define-agent.ts";
export type { Agent, AgentDefinition, AgentContext, AgentInventory, DataAccess, RiskCategory, Logger } from "./agent/define-agent.ts";

export { defineWorkflow } from "./workflow/define-workflow.ts";
export type { Workflow, WorkflowDefinition } from "./workflow/define-workflow.ts";
export type { WorkflowContext, CallOptions, ParallelOptions, PartialResults, Settled, Branch, BranchResults } from "./workflow/context.ts";
export { ParallelError } from "./workflow/parallel-errors.ts";
export type { BranchFailure } from "./workflow/parallel-errors.ts";
export { UnknownWorkflowError } from "./workflow/runtime-errors.ts";
export { Runtime } from "./workflow/runtime.ts";
export type { RuntimeOptions, StartOptions, RunResult, RunHandle } from "./workflow/runtime.ts";

export { defineTool } from "./governance/define-tool.ts";
export type { Tool, ToolDefinition, ToolContext, ToolPrice } from "./governance/define-tool.ts";
export { usd, formatUsd } from "./governance/money.ts";
export { BudgetExceededError, PermissionDeniedError, AgentRevokedError, ReviewOverdueError } from "./governance/governance-errors.ts";
export type { BudgetLevel } from "./governance/governance-errors.ts";
export type { AgentBudget } from "./governance/gateway.ts";
export type { GrantSpec, GrantRecord } from "./governance/grants.ts";
export type { WorkflowBudget } from "./workflow/define-workflow.ts";
export type { AgentTools } from "./agent/define-agent.ts";
export { verifyAuditChain } from "./governance/audit-log.ts";
export type { AuditRecord, AuditVerification } from "./governance/audit-log.ts";
export { checkpointAudit, AuditChainBrokenError } from "./governance/audit-checkpoints.ts";
export type { AuditCheckpoint, CheckpointOutcome } from "./governance/audit-checkpoints.ts";
export { verifyAudit } from "./governance/audit-verify.ts";
export type { AuditReport, AuditProblem } from "./governance/audit-verify.ts";
export { loadAuditSigner, loadAuditVerifiers, generateAuditKeyPair, auditKeyId, AuditKeyError } from "./governance/audit-signing-key.ts";
export type { AuditSigningOptions, AuditSigner, AuditVerifier } from "./governance/audit-signing-key.ts";
export { setAgentStatus, recordReview, issueCredential, revokeAgentCredentials, addGrant, revokeGrant, fundBudget } from "./governance/admin.ts";
export type { AdminContext } from "./governance/admin.ts";
export { verifyCredential } from "./governance/credentials.ts";
export type { IssuedCredential } from "./governance/credentials.ts";
export { listInventory, spendReport, listAccounts } from "./governance/reports.ts";
export type { InventoryRow, SpendRow, SpendGrouping } from "./governance/reports.ts";

export { SupervisorError } from "./workflow/patterns/supervise.ts";
export type { SupervisorOptions, SupervisorResult, ChildSpec, RestartType, SupervisionStrategy } from "./workflow/patterns/supervise.ts";
export type { SupervisorDecision } from "./workflow/patterns/supervisor-journal.ts";
export { CircuitOpenError, BulkheadFullError } from "./engine/agent-policies.ts";
export type { CircuitBreakerOptions, BulkheadOptions, BreakerState } from "./engine/agent-policies.ts";
export { readBreakerStates } from "./engine/breaker-states.ts";
export type { BreakerStateRecord } from "./engine/breaker-states.ts";
export type { AdaptiveTimeout, TimeoutSetting } from "./engine/adaptive-timeout.ts";

export type { ModelAgentSettings } from "./agent/model-agent.ts";
export type { ModelAgentDefinition } from "./agent/define-agent.ts";
export type { AgentModel, ModelMessage, MessagePart, ModelRequest, ModelTurn } from "./models/model-turn.ts";
export { resolveModel } from "./models/model-registry.ts";
export type { ModelConfig, ModelSpec, ResolvedModel, OpenAICompatibleProvider } from "./models/model-registry.ts";
export type { TokenUsage } from "./models/pricing.ts";
export { builtInPrices, pricesAsOf } from "./models/prices.ts";
export type { ModelPrice } from "./models/prices.ts";
export { ModelConfigurationError, ModelBehaviourError } from "./models/model-errors.ts";
export { defineConfig } from "./cli/config.ts";
export type { CadreConfig } from "./cli/config.ts";

export { RunSuspended, ApprovalRejectedError, WaitTimeoutError } from "./workflow/patterns/suspension.ts";
export { PlanError, LoopLimitError, BoardConflictError } from "./workflow/patterns/pattern-errors.ts";
export type { PlanTask } from "./workflow/patterns/plan.ts";
export type { Classification, RouteOptions } from "./workflow/patterns/route.ts";
export type { Critique, RefineCriticInput, RefineOptions, RefineProducerInput, RefineResult } from "./workflow/patterns/refine.ts";
export type { HandoffDecision, ChatMessage } from "./workflow/patterns/conversation.ts";
export type { Board, BoardEntry, Contributor } from "./workflow/patterns/blackboard.ts";
export type { Candidate, ResolutionRule, Resolution } from "./workflow/patterns/resolve.ts";
export type { GateOptions } from "./workflow/patterns/gate.ts";
export { listPendingApprovals, decideApproval } from "./workflow/approvals.ts";
export type { PendingApproval, ApprovalDecision, RecordedApprovalDecision } from "./workflow/approvals.ts";

export { Operator, openOperator } from "./operator/operator.ts";
export type { OperatorOptions } from "./operator/operator.ts";
export type { RunOperations, Page, RunListOptions, RunDetail, RunCost, Wait } from "./operator/runs.ts";
export type { RunTree } from "./operator/run-tree.ts";
export type { ApprovalOperations, ApprovalOutcome } from "./operator/approvals.ts";
export type { AgentOperations } from "./operator/agents.ts";
export type { GrantOperations } from "./operator/grants.ts";
export type { CredentialOperations } from "./operator/credentials.ts";
export type { BudgetOperations, FundOptions, FundResult, SpendOptions } from "./operator/budgets.ts";
export type { AuditOperations } from "./operator/audit.ts";
export type { RunSummary } from "./engine/run-records.ts";
export type { StepCharge, AccountSummary } from "./governance/reports.ts";
export type { CredentialRecord } from "./governance/credentials.ts";
export { UnknownAgentError } from "./governance/inventory.ts";
