/** Supervision tree: a crashing child is restarted (one-for-one) within its restart intensity. */
import { runExample } from "./shared.ts";

let attempts = 0;
await runExample("supervise", {}, (ctx) =>
  ctx.supervise({ strategy: "one-for-one", maxRestarts: 3, withinMs: 10_000 }, [
    { id: "ingest", restart: "permanent", run: (child) => child.step("ingest", () => (++attempts < 3 ? Promise.reject(new Error("feed timeout")) : "ingested 120 rows")) },
    { id: "notify", restart: "transient", run: (child) => child.step("notify", () => "sent") },
  ]),
(output) => `${output.restarts} restarts, results: ${JSON.stringify(output.results)}`);
