import type { Command } from "commander";
import { InputValidationError } from "../../errors.ts";
import { globalOptions, withReadOnlyOperator, withRuntime } from "../cli-context.ts";
import { formatLabels } from "../../workers/run-ticket.ts";
import { printJson, style } from "../io.ts";
import { formatDuration, formatTime, renderTable } from "../table.ts";

export function registerWorkerCommands(program: Command): void {
  program
    .command("worker")
    .description("execute runs handed to workers (dispatch: queue) until SIGTERM; needs a PostgreSQL store")
    .option("--concurrency <n>", "runs executed at once, per queue", "8")
    .option("--queues <names>", "comma-separated queues to take runs from", "default")
    .option("--labels <k=v,...>", "labels this worker advertises (cadre workers lists them)")
    .option("--drain-ms <ms>", "on SIGTERM/SIGINT: how long runs in hand may take to finish before they are handed back", "30000")
    .action(async (options: { concurrency: string; queues: string; labels?: string; drainMs: string }, command: Command) => {
      const global = globalOptions(command);
      const concurrency = positiveInteger(options.concurrency, "--concurrency");
      const drainMs = positiveInteger(options.drainMs, "--drain-ms");
      const queues = options.queues.split(",").map((name) => name.trim()).filter(Boolean);
      const labels = parseLabels(options.labels);
      await withRuntime(
        global,
        async (runtime) => {
          const worker = await runtime.serve({ concurrency, queues, labels });
          if (global.json) printJson({ worker: worker.id, queues, concurrency, labels });
          else process.stderr.write(`worker ${worker.id} taking runs from ${queues.join(", ")} (concurrency ${concurrency}); SIGTERM drains\n`);
          const signal = await new Promise<NodeJS.Signals>((resolve) => {
            process.once("SIGTERM", () => resolve("SIGTERM"));
            process.once("SIGINT", () => resolve("SIGINT"));
          });
          process.stderr.write(`${signal}: draining worker ${worker.id} (up to ${formatDuration(drainMs)})\n`);
          await worker.drain(drainMs);
          process.stderr.write(`worker ${worker.id} stopped\n`);
        },
        { dispatch: "queue" },
      );
    });

  program
    .command("workers")
    .description("live worker processes: labels, host, pid, started, runs held, heartbeat age")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const workers = await withReadOnlyOperator(global, (operator) => operator.workers.list());
      if (global.json) return printJson(workers);
      if (workers.length === 0) return void process.stdout.write(`No live workers. Start one with: cadre worker --config cadre.config.ts --store postgres://…\n`);
      process.stdout.write(
        `${renderTable(
          ["WORKER", "HOST", "PID", "LABELS", "QUEUES", "STARTED", "RUNS HELD", "HEARTBEAT"],
          workers.map((worker) => [
            worker.id,
            worker.host,
            worker.pid,
            formatLabels(worker.labels) || "-",
            worker.queues.join(","),
            formatTime(worker.startedAt),
            `${worker.runsHeld}/${worker.concurrency * worker.queues.length}`,
            style.dim(`${formatDuration(worker.heartbeatAgeMs)} ago`),
          ]),
        )}\n`,
      );
    });
}

function positiveInteger(value: string, option: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InputValidationError({ message: `${option} must be a positive integer; got "${value}".`, field: option });
  return number;
}

/** `region=eu,tier=gpu` → { region: "eu", tier: "gpu" }. */
function parseLabels(value: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (value ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
    const [key, label, ...rest] = pair.split("=");
    if (!key || label === undefined || rest.length > 0) throw new InputValidationError({ message: `--labels takes key=value pairs separated by commas (region=eu,tier=gpu); got "${pair}".`, field: "--labels" });
    labels[key] = label;
  }
  return labels;
}
