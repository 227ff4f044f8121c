/** One Server-Sent Event as a client parses it. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: any;
}

/**
 * Opens an SSE stream and parses it as a browser's EventSource would (event, id, data lines;
 * comment lines skipped). `next()` waits for the next message; undefined once the server ended the stream.
 */
export async function openEventStream(url: string, options: { key?: string; lastEventId?: string } = {}) {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  const response = await fetch(url, { headers, signal: controller.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const comments: string[] = [];
  /** Reads until a comment line has arrived (a heartbeat); false if the stream ended first. */
  async function untilComment(): Promise<boolean> {
    while (comments.length === 0) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1 && buffer.startsWith(":")) {
        parseBlock(buffer.slice(0, end), comments);
        buffer = buffer.slice(end + 2);
        continue;
      }
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return false;
      buffer += value;
    }
    return true;
  }
  async function next(): Promise<SseMessage | undefined> {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parseBlock(block, comments);
        if (message) return message;
        continue;
      }
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return undefined;
      buffer += value;
    }
  }
  return {
    response,
    next,
    untilComment,
    /** Comment lines seen so far (heartbeats). */
    comments,
    /** Reads messages until `until` returns true for one (returned last) or the stream ends. */
    async collect(until: (message: SseMessage) => boolean = () => false): Promise<SseMessage[]> {
      const messages: SseMessage[] = [];
      for (let message = await next(); message; message = await next()) {
        messages.push(message);
        if (until(message)) break;
      }
      return messages;
    },
    close: () => controller.abort(),
  };
}

function parseBlock(block: string, comments: string[]): SseMessage | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comments.push(line.slice(1).trim());
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  return { event, id, data: JSON.parse(data.join("\n")) };
}
