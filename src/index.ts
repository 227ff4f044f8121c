export { CadreError, ConfigurationError, InputValidationError, OutputValidationError, InternalError } from "./errors.ts";
export type { ErrorCode, ErrorFault, SerializedError } from "./errors.ts";

export { openStore, defaultStoreLocation, StoreCorruptError, StoreNotCadreError, StoreTooNewError, latestSchemaVersion } from "./store/index.ts";
export type { Store, StoreDialect, RunStatus, StepStatus, StepType } from "./store/index.ts";

export { NonDeterminismError, StepTimeoutError, UnknownRunError, RunLeasedError, RunNotResumableError, AbortedError } from "./engine/engine-errors.ts";
export type { RuntimeEvents, RuntimeEventName } from "./engine/events.ts";
export type { JournalEntry } from "./engine/journal.ts";
export type { RunRecord, RunFilter } from "./engine/run-records.ts";
export type { RetryOptions } from "./engine/resilience.ts";
export type { AttemptContext } from "./engine/run-step.ts";

export { defineAgent } from "./agent/define-agent.ts";
export type { Agent, AgentDefinition, AgentContext, AgentInventory, DataAccess, RiskCategory, Logger } from "./agent/define-agent.ts";

export { defineWorkflow } from "./workflow/define-workflow.ts";
export type { Workflow, WorkflowDefinition } from "./workflow/define-workflow.ts";
export type { WorkflowContext, CallOptions, ParallelOptions, PartialResults, Branch, BranchResults } from "./workflow/context.ts";
export { ParallelError } from "./workflow/parallel-errors.ts";
export type { BranchFailure } from "./workflow/parallel-errors.ts";
export { UnknownWorkflowError } from "./workflow/runtime-errors.ts";
export { Runtime } from "./workflow/runtime.ts";
export type { RuntimeOptions, StartOptions, RunResult, RunHandle } from "./workflow/runtime.ts";
