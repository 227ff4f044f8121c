/** Hostnames that always name this machine. */
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * DNS-rebinding protection for /mcp: a web page on another site can make a browser send
 * requests to a local server under its own name (its Host) and origin. Host and, when present,
 * Origin must name this machine or a hostname the operator allowed. Returns why a request
 * is refused, or undefined when it may go on.
 */
export function hostRefusal(request: { host: string | undefined; origin: string | undefined; allowed: readonly string[] }): string | undefined {
  const allowed = new Set([...loopbackHosts, ...request.allowed.map((host) => host.toLowerCase())]);
  const host = hostnameOf(request.host);
  if (host === undefined || !allowed.has(host)) return `The Host header ${JSON.stringify(request.host ?? "")} is not this machine or an allowed hostname (${[...allowed].join(", ")}).`;
  if (request.origin === undefined) return undefined;
  let origin: string;
  try {
    origin = new URL(request.origin).hostname.toLowerCase();
  } catch {
    return `The Origin header ${JSON.stringify(request.origin)} is not a URL.`;
  }
  if (!allowed.has(origin) && !allowed.has(`[${origin}]`)) return `The Origin ${request.origin} is not this machine or an allowed hostname (${[...allowed].join(", ")}).`;
  return undefined;
}

/** `example.com:7070` → `example.com`; `[::1]:7070` → `[::1]`. */
function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(0, value.indexOf("]") + 1) || undefined;
  return value.split(":")[0] || undefined;
}
