import { z } from "zod";
import { defineWorkflow, usd } from "cadre";
import { generalist, supportWriter, ticketRouter, ticketSchema } from "./agents.ts";

const answer = z.object({ route: z.string(), reply: z.string() });

/** Route with the fast model, then draft the reply with the strong one. */
export const triage = defineWorkflow({
  name: "triage",
  input: ticketSchema,
  output: answer,
  budget: { perRun: usd(0.1), allocation: usd(10) },
  run: async ({ ticket }, ctx) => {
    const { route } = await ctx.call(ticketRouter, { ticket });
    return ctx.call(supportWriter, { ticket, route });
  },
});

/** The same job done by one agent: the baseline `cadre cost --baseline` compares against. */
export const triageSingle = defineWorkflow({
  name: "triage-single",
  input: ticketSchema,
  output: answer,
  budget: { perRun: usd(0.1), allocation: usd(10) },
  run: ({ ticket }, ctx) => ctx.call(generalist, { ticket }),
});
