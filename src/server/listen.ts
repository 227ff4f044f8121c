import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { serve } from "@hono/node-server";
import { ConfigurationError } from "../errors.ts";
import { createServer, type CreateServerOptions } from "./app.ts";

/** A server listening: its address, and how to stop it. */
export interface ListeningServer {
  /** `http://127.0.0.1:7070` */
  url: string;
  host: string;
  port: number;
  /** Stops accepting connections, ends event streams and idle connections, and resolves once the last request finished. */
  close(): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** The playground acts as an admin without a key: CONFIGURATION unless `host` is loopback. */
export function assertPlaygroundHost(host: string): void {
  if (isLoopback(host)) return;
  throw new ConfigurationError({ message: `--dev serves without keys, as an admin, so it listens only on this machine: use --host 127.0.0.1 (or ::1, localhost), not ${host}. To serve others, drop --dev and give each person an operator key (cadre keys create --operator <name> --role <role>).`, host });
}

/**
 * Serves the API on `host:port` (port 0: any free port). The playground (`auth.mode` dev)
 * acts as an admin without a key, so it refuses any host other people could reach.
 */
export async function listen(options: Omit<CreateServerOptions, "signal"> & { host: string; port: number }): Promise<ListeningServer> {
  if (options.auth.mode === "dev") assertPlaygroundHost(options.host);
  const shutdown = new AbortController();
  const app = createServer({ ...options, signal: shutdown.signal });
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: options.host, port: options.port }) as Server;
    started.once("error", (error: NodeJS.ErrnoException) =>
      reject(new ConfigurationError({ message: `Cannot listen on ${options.host}:${options.port}: ${error.code === "EADDRINUSE" ? "the port is in use; pick another with --port" : error.message}.`, host: options.host, port: options.port, reason: error.code ?? error.message }, { cause: error })),
    );
    started.once("listening", () => resolve(started));
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  let inFlight = 0;
  // Once closing and the last request has ended (event streams end at shutdown), the
  // connections left are idle keep-alives: closed at once, not when their clients let go.
  const closeWhenDone = () => closing !== undefined && inFlight === 0 && server.closeAllConnections();
  server.on("request", (_request, response: { once(event: "close", listener: () => void): void }) => {
    inFlight += 1;
    response.once("close", () => {
      inFlight -= 1;
      closeWhenDone();
    });
  });
  return {
    url: `http://${shown}:${address.port}`,
    host: address.address,
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        shutdown.abort();
        setImmediate(closeWhenDone);
      })),
  };
}
