import { createScriptedModel } from "cadre/testing";

/** The route a keyword router picks: deliberately plain, so an evaluation has mistakes to show. */
export function keywordRoute(ticket: string): { route: "billing" | "tech" | "account"; confidence: number } {
  const text = ticket.toLowerCase();
  const score = (words: string[]) => words.filter((word) => text.includes(word)).length;
  const billing = score(["charge", "charged", "refund", "invoice", "price", "card", "paid"]);
  const account = score(["password", "login", "log in", "email address", "delete my account", "two-factor"]);
  const tech = score(["error", "crash", "bug", "slow", "broken", "timeout", "api"]);
  const best = Math.max(billing, account, tech);
  if (best === 0) return { route: "tech", confidence: 0.4 };
  const route = billing === best ? "billing" : account === best ? "account" : "tech";
  return { route, confidence: Math.min(0.95, 0.6 + 0.15 * best) };
}

/**
 * An offline stand-in for the hosted models, registered under their ids so the shipped prices
 * apply: it reads the agent's instructions and the ticket from the prompt and answers as that
 * agent would. Token counts are estimated from the text (4 characters a token).
 */
export function offlineModel(modelId: string) {
  return createScriptedModel({
    provider: "openai",
    modelId,
    script: (call) => {
      const system = call.prompt.filter((message) => message.role === "system").map((message) => String(message.content)).join("\n");
      const user = call.prompt.filter((message) => message.role === "user").at(-1);
      const text = user && Array.isArray(user.content) ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("") : "";
      const { ticket = "" } = JSON.parse(text || "{}") as { ticket?: string; route?: string };
      if (system.startsWith("You route support tickets")) return { json: keywordRoute(ticket) };
      const route = system.startsWith("You are the whole support desk") ? keywordRoute(ticket).route : ((JSON.parse(text || "{}") as { route?: string }).route ?? "tech");
      const reply = `Thank you for writing in. Your ${route} request has been received and a specialist is on it: ${ticket.slice(0, 80)}. We will follow up within one business day with the next steps and anything we need from you.`;
      return { json: { route, reply } };
    },
  });
}
