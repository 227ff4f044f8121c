export { openStore, defaultStoreLocation, type OpenStoreOptions } from "./open-store.ts";
export type { Store, StoreDialect, Db } from "./store.ts";
export type { Database, RunStatus, StepStatus, StepType } from "./schema.ts";
export {
  StoreCorruptError,
  StoreNotCadreError,
  StoreTooNewError,
  StoreNotFoundError,
  StoreConfigError,
  StoreReadOnlyError,
  StoreFullError,
  StoreUnavailableError,
} from "./store-errors.ts";
export { latestSchemaVersion } from "./migrations.ts";
