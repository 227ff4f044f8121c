import { formatUsd } from "../governance/money.ts";

/** Renders rows as an aligned text table with a header, for people; scripts use --json. */
export function renderTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? "-" : String(cell))));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((row) => visibleLength(row[column] ?? ""))));
  const line = (row: string[]) => row.map((cell, column) => cell + " ".repeat(widths[column]! - visibleLength(cell))).join("  ").trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

function visibleLength(text: string): number {
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function formatTime(epochMs: number | null | undefined): string {
  if (!epochMs) return "-";
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}

/** Micro-units as dollars, for display only; money is never computed as a float. */
export function formatMoney(micros: number | null | undefined): string {
  return micros === null || micros === undefined ? "-" : formatUsd(micros);
}
