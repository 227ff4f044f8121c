import type { RuntimeEvents } from "../engine/events.ts";
import type { Runtime } from "../workflow/runtime.ts";
import { formatDuration } from "./table.ts";
import { style } from "./io.ts";
import { compareStepKeys } from "../engine/journal.ts";

interface Line {
  key: string;
  label: string;
  status: "running" | "completed" | "failed" | "waiting";
  startedAt: number;
  durationMs?: number;
  attempt: number;
  note?: string;
  replayed?: boolean;
}

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * Live progress for `cadre run` / `cadre resume`: on a terminal a redrawn tree of steps with
 * spinners and durations; otherwise one plain line per finished step (good for CI logs).
 * Writes to stderr so stdout carries only the result.
 */
export function attachProgress(runtime: Runtime, options: { tty?: boolean; stream?: NodeJS.WriteStream } = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const lines = new Map<string, Line>();
  let drawn = 0;
  let frame = 0;

  const draw = () => {
    frame += 1;
    const rows = [...lines.values()].sort((left, right) => compareStepKeys(left.key, right.key)).slice(-40).map((line) => render(line, frame));
    if (drawn > 0) stream.write(`\u001b[${drawn}A\u001b[0J`);
    stream.write(rows.length ? `${rows.join("\n")}\n` : "");
    drawn = rows.length;
  };

  const offStart = runtime.on("step-start", (event) => {
    lines.set(event.key, { key: event.key, label: labelOf(event), status: "running", startedAt: Date.now(), attempt: event.attempt });
  });
  const offEnd = runtime.on("step-end", (event: RuntimeEvents["step-end"]) => {
    const line: Line = lines.get(event.key) ?? { key: event.key, label: labelOf(event), status: "running", startedAt: Date.now(), attempt: event.attempt };
    line.status = event.status === "started" ? "running" : event.status;
    line.durationMs = event.durationMs;
    line.replayed = event.replayed;
    line.attempt = event.attempt;
    line.note = event.error ? `${event.error.code}: ${event.error.message}` : undefined;
    lines.set(event.key, line);
    if (!tty) stream.write(`${render(line, 0)}\n`);
  });
  const timer = tty ? setInterval(draw, 80) : undefined;
  timer?.unref();
  return () => {
    offStart();
    offEnd();
    if (timer) {
      clearInterval(timer);
      draw();
    }
  };
}

function labelOf(event: { key: string; type: string }): string {
  const depth = (event.key.match(/\//g) ?? []).length;
  return `${"  ".repeat(depth)}${event.key} ${style.dim(`(${event.type})`)}`;
}

function render(line: Line, frame: number): string {
  const icon =
    line.status === "running" ? style.yellow(spinner[frame % spinner.length]!) : line.status === "completed" ? style.green("✓") : line.status === "waiting" ? style.yellow("…") : style.red("✗");
  const duration = line.status === "running" ? formatDuration(Date.now() - line.startedAt) : line.replayed ? "journaled" : formatDuration(line.durationMs);
  const attempt = line.attempt > 1 ? ` attempt ${line.attempt}` : "";
  const note = line.note ? `  ${style.red(line.note)}` : "";
  return `${icon} ${line.label}  ${style.dim(duration + attempt)}${note}`;
}
