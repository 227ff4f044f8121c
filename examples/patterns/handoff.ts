/** Handoffs (mesh): agents pass control to named peers with a reason; a ping-pong is cut off. */
import type { HandoffDecision } from "cadre";
import { agent, runExample } from "./shared.ts";

const triage = agent("triage", (): HandoffDecision => ({ handoff: "billing", reason: "mentions an invoice", input: { invoice: 17 } }));
const billing = agent("billing", (input): HandoffDecision => ({ done: true, output: `refund issued for invoice ${input.invoice}` }));
const left = agent("left", (): HandoffDecision => ({ handoff: "right", reason: "yours", input: {} }));
const right = agent("right", (): HandoffDecision => ({ handoff: "left", reason: "no, yours", input: {} }));
await runExample("handoff", { agents: [triage, billing, left, right] }, async (ctx) => {
  const solved = await ctx.handoff({ start: triage, peers: [billing], input: {} });
  const loop = await ctx.handoff({ start: left, peers: [right], input: {} }).catch((error) => error.code as string);
  return { path: solved.path.map((step) => step.agent).join(" → "), loop };
}, (output) => `${output.path}; ping-pong cut off (${output.loop})`);
