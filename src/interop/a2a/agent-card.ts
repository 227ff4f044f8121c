import type { AgentCard, AgentSkill } from "@a2a-js/sdk";
import { RemoteAgentError } from "./a2a-errors.ts";

/** Where an agent's card is: the URL itself when it names the card, else `<url>/.well-known/agent-card.json`. */
export function cardUrlOf(url: string): string {
  if (/\/agent-card\.json$|\/agent\.json$/.test(url)) return url;
  return `${url.replace(/\/+$/, "")}/.well-known/agent-card.json`;
}

/**
 * Fetches agent cards once per remote agent definition (and so once per runtime that registers
 * it): every call after the first reads the cached card. A failed fetch is not cached.
 */
export class AgentCardCache {
  readonly #cards = new Map<string, Promise<AgentCard>>();

  get(url: string, context: { agent: string; signal?: AbortSignal }): Promise<AgentCard> {
    const cardUrl = cardUrlOf(url);
    let card = this.#cards.get(cardUrl);
    if (!card) {
      card = fetchCard(cardUrl, context);
      this.#cards.set(cardUrl, card);
      card.catch(() => this.#cards.delete(cardUrl));
    }
    return card;
  }
}

async function fetchCard(cardUrl: string, context: { agent: string; signal?: AbortSignal }): Promise<AgentCard> {
  const { DefaultAgentCardResolver } = await import("@a2a-js/sdk/client");
  try {
    return await new DefaultAgentCardResolver().resolve(cardUrl, "");
  } catch (error) {
    throw new RemoteAgentError({ message: `Could not read the agent card of remote agent "${context.agent}" at ${cardUrl}: ${(error as Error).message}.`, fix: "Check the agent's url (its card is at <url>/.well-known/agent-card.json) and that the server is up.", agent: context.agent, url: cardUrl }, { cause: error, retryable: true });
  }
}

/** The skill a call uses: the one named (it must be on the card), else the card's only skill. */
export function skillOn(card: AgentCard, skill: string | undefined, context: { agent: string; url: string }): AgentSkill | undefined {
  const ids = card.skills.map((candidate) => candidate.id);
  if (skill !== undefined) {
    const found = card.skills.find((candidate) => candidate.id === skill);
    if (!found) throw new RemoteAgentError({ message: `Remote agent "${context.agent}" names skill "${skill}", which the card of ${card.name} at ${context.url} does not offer (its skills: ${ids.join(", ") || "none"}).`, fix: "Set skill to one of the card's skills.", agent: context.agent, url: context.url });
    return found;
  }
  if (card.skills.length > 1) throw new RemoteAgentError({ message: `The card of ${card.name} at ${context.url} offers several skills (${ids.join(", ")}); remote agent "${context.agent}" must name one.`, fix: "Set skill in remoteAgent({ ... }).", agent: context.agent, url: context.url });
  return card.skills[0];
}
