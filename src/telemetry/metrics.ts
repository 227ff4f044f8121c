import type { Counter, Histogram, Meter } from "@opentelemetry/api";

/**
 * The measurements Cadre exports: step latency per agent, model tokens, errors, spend, run
 * latency. Names follow OTel's conventions (dots, units in `unit`); attributes stay few and
 * bounded (agent, step type, status, model) so a backend can aggregate them.
 */
export class CadreMetrics {
  readonly #stepDuration: Histogram;
  readonly #runDuration: Histogram;
  readonly #errors: Counter;
  readonly #tokens: Counter;
  readonly #spend: Counter;

  constructor(meter: Meter) {
    this.#stepDuration = meter.createHistogram("cadre.step.duration", { unit: "ms", description: "How long a governed step took, per agent and step type" });
    this.#runDuration = meter.createHistogram("cadre.run.duration", { unit: "ms", description: "How long one execution of a run took, per workflow and status" });
    this.#errors = meter.createCounter("cadre.step.errors", { description: "Steps that failed, per agent, step type and error code" });
    this.#tokens = meter.createCounter("cadre.model.tokens", { unit: "{token}", description: "Model tokens charged, per agent, model and token type (input, output)" });
    this.#spend = meter.createCounter("cadre.spend", { unit: "{micro-unit}", description: "Money charged in micro-units, per agent and what was paid for" });
  }

  step(options: { type: string; agent: string | null; status: string; durationMs: number; errorCode?: string | undefined }): void {
    const attributes = { "cadre.step.type": options.type, "cadre.step.status": options.status, ...(options.agent ? { "gen_ai.agent.name": options.agent } : {}) };
    this.#stepDuration.record(options.durationMs, attributes);
    if (options.status === "failed") this.#errors.add(1, { ...attributes, "error.type": options.errorCode ?? "unknown" });
  }

  charged(options: { agent: string | undefined; subject: string; costMicros: number; model?: string | undefined; inputTokens?: number | undefined; outputTokens?: number | undefined }): void {
    const agent = options.agent ? { "gen_ai.agent.name": options.agent } : {};
    if (options.costMicros > 0) this.#spend.add(options.costMicros, { ...agent, "cadre.subject": options.subject });
    if (!options.model) return;
    if (options.inputTokens) this.#tokens.add(options.inputTokens, { ...agent, "gen_ai.request.model": options.model, "gen_ai.token.type": "input" });
    if (options.outputTokens) this.#tokens.add(options.outputTokens, { ...agent, "gen_ai.request.model": options.model, "gen_ai.token.type": "output" });
  }

  run(options: { workflow: string; status: string; durationMs: number }): void {
    this.#runDuration.record(options.durationMs, { "gen_ai.workflow.name": options.workflow, "cadre.run.status": options.status });
  }
}
