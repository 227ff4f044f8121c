import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from "@a2a-js/sdk/client";

/** The official A2A client for the agent at `url` (its card at `<url>/.well-known/agent-card.json`), sending `Authorization: Bearer <secret>`. */
export async function officialClient(url: string, secret?: string): Promise<Client> {
  const fetchImpl: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    if (secret) headers.set("authorization", `Bearer ${secret}`);
    return fetch(input, { ...init, headers });
  };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    }),
  );
  // The card is under the agent's own path (`/a2a/<name>/.well-known/...`), so it is given as a full URL.
  return factory.createFromUrl(`${url.replace(/\/$/, "")}/.well-known/agent-card.json`, "");
}
