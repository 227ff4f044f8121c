/**
 * `cadre/internal`: building blocks the runtime uses that are not part of the stable API —
 * for tests, benchmarks and tools that need to reach below it. They may change in any release.
 */
export { percentile95 } from "./engine/adaptive-timeout.ts";
export { priceFor, costOf, worstCaseCost, estimateTokens } from "./models/pricing.ts";
export { validatePlan } from "./workflow/patterns/plan.ts";
export { runEffect } from "./workflow/effects/effect.ts";
export type { Effect, EffectSite, EffectStep } from "./workflow/effects/effect.ts";
export { resolveRuntimeOptions } from "./workflow/runtime-options.ts";
export type { ResolvedRuntimeOptions } from "./workflow/runtime-options.ts";
