import type { Context } from "hono";
import { streamSSE, type SSEStreamingApi } from "hono/streaming";
import type { RunEvent, RunEventHub } from "./run-events.ts";

export interface EventStreamOptions {
  hub: RunEventHub;
  /** Which events this stream carries. */
  filter(event: RunEvent): boolean;
  /** Without Last-Event-ID: replay the kept events the filter passes (a run's stream) or start from now (the all-runs stream). */
  replayWithoutId: boolean;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** The server is shutting down: end the stream. */
  signal: AbortSignal;
  /** Called once the replay is written: may write what the replay lacked; returns true to end the stream. */
  afterReplay?(replayed: RunEvent[], write: (event: Omit<RunEvent, "id"> & { id?: string }) => Promise<void>): Promise<boolean>;
  /** True for the event after which the stream ends (a run's final run-end). */
  endsWith?(event: RunEvent): boolean;
}

/**
 * Streams hub events as Server-Sent Events. A client reconnecting with `Last-Event-ID` first
 * gets the kept events it missed (without the header, a run's stream replays what is kept of the run);
 * then live events, in order, with heartbeat comments between them. The stream ends when the
 * client goes, the server shuts down, or `endsWith` says so.
 */
export function streamRunEvents(http: Context, options: EventStreamOptions): Response {
  return streamSSE(http, async (stream) => {
    const queue: RunEvent[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    // Subscribed in the same turn as the replay is read: no event falls between them.
    const unsubscribe = options.hub.subscribe((event) => {
      if (!options.filter(event)) return;
      queue.push(event);
      wake?.();
    });
    const lastEventId = http.req.header("last-event-id");
    const kept = lastEventId === undefined && !options.replayWithoutId ? [] : (options.hub.since(lastEventId) ?? []);
    const replay = kept.filter(options.filter);
    const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n").catch(end), options.heartbeatMs);
    // The client went: noticed from the request (at once) or from the stream (at the next write).
    stream.onAbort(end);
    http.req.raw.signal.addEventListener("abort", end, { once: true });
    options.signal.addEventListener("abort", end, { once: true });
    try {
      if (lastEventId !== undefined && options.hub.since(lastEventId) === undefined) {
        // The client missed events this server no longer has: it should reload what it shows.
        await stream.writeSSE({ event: "replay-gap", data: JSON.stringify({ lastEventId }) });
      }
      const replayed = new Set(replay.map((event) => event.id));
      for (const event of replay) if (await writeEvent(stream, event, options)) return;
      if (options.afterReplay && (await options.afterReplay(replay, (event) => writeRaw(stream, event)))) return;
      while (!ended && !options.signal.aborted) {
        const next = queue.shift();
        if (!next) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        // Queued while the replay was written, and already in it.
        if (replayed.delete(next.id)) continue;
        if (await writeEvent(stream, next, options)) return;
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
      options.signal.removeEventListener("abort", end);
      http.req.raw.signal.removeEventListener("abort", end);
      await stream.close().catch(() => {});
    }
  });
}

/** Writes one event; true when it is the stream's last. */
async function writeEvent(stream: SSEStreamingApi, event: RunEvent, options: EventStreamOptions): Promise<boolean> {
  await writeRaw(stream, event);
  return options.endsWith?.(event) ?? false;
}

function writeRaw(stream: SSEStreamingApi, event: Omit<RunEvent, "id"> & { id?: string }): Promise<void> {
  const { id, ...envelope } = event;
  return stream.writeSSE({ event: envelope.type, id, data: JSON.stringify(envelope) });
}
