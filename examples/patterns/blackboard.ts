/** Blackboard / swarm: contributors act when their condition on the board holds; writes are compare-and-set. */
import { agent, runExample } from "./shared.ts";

const collector = agent("collector", () => ["wind 12 m/s", "temperature 3 °C"]);
const forecaster = agent("forecaster", ({ entries }) => `cold and windy (${entries.observations.value.length} observations)`);
await runExample("blackboard", { agents: [collector, forecaster] }, async (ctx) => {
  const swarm = await ctx.blackboard({
    maxRounds: 5,
    contributors: [
      { agent: collector, writes: "observations", when: (entries) => !entries.observations },
      { agent: forecaster, writes: "forecast", when: (entries) => Boolean(entries.observations) && !entries.forecast },
    ],
  });
  const stale = await ctx.board.write("forecast", "sunny", { expectedVersion: 0 }).catch((error) => error.code as string);
  return { forecast: swarm.entries.forecast!.value, rounds: swarm.rounds, stale };
}, (output) => `"${output.forecast}" in ${output.rounds} rounds; stale write → ${output.stale}`);
