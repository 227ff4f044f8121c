export { resolveModel, providerApiKeyVariables, openAIBaseURLVariable } from "./model-registry.ts";
export type { ModelConfig, ModelSpec, ResolvedModel, OpenAICompatibleProvider, ProviderSettings } from "./model-registry.ts";
export { priceFor, costOf, worstCaseCost, estimateTokens, messageOverheadTokens } from "./pricing.ts";
export type { TokenUsage, WorstCaseRequest } from "./pricing.ts";
export { builtInPrices, pricesAsOf } from "./prices.ts";
export type { ModelPrice } from "./prices.ts";
export { ModelConfigurationError, ModelBehaviourError } from "./model-errors.ts";
export type { ModelConfigurationReason } from "./model-errors.ts";
