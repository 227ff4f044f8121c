/** Critic-refiner: drafts improve until the critic accepts, with a hard cap on rounds. */
import { agent, runExample } from "./shared.ts";

const writer = agent("writer", ({ feedback, round }) => (feedback ? `draft ${round}, addressing: ${feedback}` : `draft ${round}`));
const critic = agent("critic", ({ round }) => ({ score: 40 + round * 25, feedback: "cite the source" }));
await runExample("refine", { agents: [writer, critic] }, (ctx) => ctx.refine({ producer: writer, critic, accept: (critique) => critique.score >= 80, maxRounds: 4, input: "summarize Q3" }), (output) => `${output.accepted ? "accepted" : "hit the cap"} after ${output.rounds} rounds (score ${output.critique.score})`);
