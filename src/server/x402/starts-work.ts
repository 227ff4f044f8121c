/** The A2A JSON-RPC methods that start work (the current names and the older ones); everything else (cards, GetTask, cancel) is free. */
const workMethods = new Set(["SendMessage", "SendStreamingMessage", "message/send", "message/stream"]);

/**
 * Whether an A2A request starts work, and so must be paid for when its target has a price:
 * REST `POST /a2a/<name>/v1/message:send|message:stream`, or a JSON-RPC `POST /a2a/<name>`
 * whose method (or, for a batch, any method) starts work.
 */
export function startsWork(method: string, path: string, body: string): boolean {
  if (method.toUpperCase() !== "POST") return false;
  if (/\/v1\/message:(send|stream)$/.test(path)) return true;
  if (/^\/a2a\/[^/]+\/?$/.test(path) === false) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  const calls = Array.isArray(parsed) ? parsed : [parsed];
  return calls.some((call) => typeof call === "object" && call !== null && workMethods.has(String((call as { method?: unknown }).method)));
}
