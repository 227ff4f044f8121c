import { z } from "zod";
import { defineAgent, usd } from "cadre";

export const ticketSchema = z.object({ ticket: z.string().min(1) });
export const routes = ["billing", "tech", "account"] as const;

/** The router under evaluation: a fast, cheap model that only picks the queue. */
export const ticketRouter = defineAgent({
  name: "ticket-router",
  owner: "support",
  purpose: "route support tickets to the billing, tech or account queue",
  model: { tier: "fast" },
  instructions: "You route support tickets. Answer with the queue (billing, tech or account) and your confidence from 0 to 1.",
  budget: { perCall: usd(0.01) },
  input: ticketSchema,
  output: z.object({ route: z.enum(routes), confidence: z.number().min(0).max(1) }),
  maxOutputTokens: 100,
});

/** Drafts the reply once the queue is known: the strong model, where most tokens go. */
export const supportWriter = defineAgent({
  name: "support-writer",
  owner: "support",
  purpose: "draft the first reply to a routed ticket",
  model: { tier: "strong" },
  instructions: "You draft the first reply to a support ticket for the queue it was routed to. Be brief, kind and specific.",
  budget: { perCall: usd(0.05) },
  input: z.object({ ticket: z.string(), route: z.enum(routes) }),
  output: z.object({ route: z.enum(routes), reply: z.string() }),
  maxOutputTokens: 400,
});

/** The single-agent baseline: one strong model that routes and replies in one call. */
export const generalist = defineAgent({
  name: "generalist",
  owner: "support",
  purpose: "route and answer a support ticket in one call",
  model: { tier: "strong" },
  instructions:
    "You are the whole support desk. Read the ticket, decide whether it belongs to billing, tech or account, and draft the first reply. Be brief, kind and specific; name the queue you chose.",
  budget: { perCall: usd(0.05) },
  input: ticketSchema,
  output: z.object({ route: z.enum(routes), reply: z.string() }),
  maxOutputTokens: 400,
});
