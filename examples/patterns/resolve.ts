/** Conflict resolution: an explicit rule picks among disagreeing sources; every conflict is journaled and audited. */
import { agent, runExample } from "./shared.ts";

const crm = agent("crm", () => ({ city: "Berlin", observedAt: Date.parse("2026-01-10") }));
const registry = agent("registry", () => ({ city: "Munich", observedAt: Date.parse("2026-06-02") }));
await runExample("resolve", { agents: [crm, registry] }, async (ctx) => {
  const [a, b] = await ctx.parallel([(branch) => branch.call(crm, {}), (branch) => branch.call(registry, {})]);
  return ctx.resolve([{ source: "crm", value: a.city, observedAt: a.observedAt }, { source: "registry", value: b.city, observedAt: b.observedAt }], "prefer-fresher-source");
}, (output) => `${output.conflict ? "conflict" : "agreement"} resolved by ${output.rule} → ${output.value} (from ${output.winner})`);
