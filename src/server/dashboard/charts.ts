import { html } from "hono/html";
import { money } from "./format.ts";
import type { Html } from "./layout.ts";

export interface BarDatum {
  label: string;
  micros: number;
  /** Shown after the amount: calls, tokens. */
  note?: string;
}

/** Horizontal bars, the largest first, scaled to the largest; inline SVG with a text alternative. */
export function barChart(title: string, data: BarDatum[], options: { id: string }): Html {
  if (data.length === 0) return html`<p class="muted">Nothing spent yet.</p>`;
  const rows = [...data].sort((a, b) => b.micros - a.micros);
  const max = Math.max(...rows.map((row) => row.micros), 1);
  const labelWidth = 130;
  const barWidth = 220;
  const rowHeight = 26;
  const height = rows.length * rowHeight + 8;
  return html`<svg class="chart" id="${options.id}" role="img" aria-label="${title}" viewBox="0 0 ${labelWidth + barWidth + 200} ${height}" width="${labelWidth + barWidth + 200}" height="${height}">
  <title>${title}</title>
  ${rows.map((row, index) => {
    const y = index * rowHeight + 4;
    const width = Math.max(1, Math.round((row.micros / max) * barWidth));
    return html`<g data-bar="${row.label}">
    <text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${clip(row.label, 22)}</text>
    <rect x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 8}" rx="2" fill="var(--bar)"></rect>
    <text x="${labelWidth + width + 6}" y="${y + 16}">${money(row.micros)}${row.note ? ` · ${row.note}` : ""}</text>
  </g>`;
  })}
</svg>`;
}

export interface LinePoint {
  /** `YYYY-MM-DD` */
  day: string;
  micros: number;
}

/**
 * Spend per day as a line with a dot per day. Days without spend between the first and the
 * last are drawn at zero: a gap in spending is part of the picture.
 */
export function spendLine(title: string, points: LinePoint[], options: { id: string }): Html {
  if (points.length === 0) return html`<p class="muted">Nothing spent yet.</p>`;
  const days = fillDays(points);
  const width = 720;
  const height = 220;
  const left = 70;
  const bottom = 30;
  const top = 12;
  const max = Math.max(...days.map((day) => day.micros), 1);
  const step = days.length > 1 ? (width - left - 20) / (days.length - 1) : 0;
  const x = (index: number) => left + (days.length > 1 ? index * step : (width - left) / 2);
  const y = (micros: number) => top + (1 - micros / max) * (height - top - bottom);
  const path = days.map((day, index) => `${index === 0 ? "M" : "L"}${x(index).toFixed(1)},${y(day.micros).toFixed(1)}`).join(" ");
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  return html`<svg class="chart" id="${options.id}" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
  <title>${title}</title>
  <line class="axis" x1="${left}" y1="${height - bottom}" x2="${width - 10}" y2="${height - bottom}"></line>
  <line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}"></line>
  <text x="${left - 6}" y="${top + 4}" text-anchor="end">${money(max)}</text>
  <text x="${left - 6}" y="${height - bottom}" text-anchor="end">$0</text>
  <path d="${path}" fill="none" stroke="var(--accent)" stroke-width="2"></path>
  ${days.map(
    (day, index) => html`<circle data-day="${day.day}" cx="${x(index).toFixed(1)}" cy="${y(day.micros).toFixed(1)}" r="3.5" fill="var(--accent)"><title>${day.day}: ${money(day.micros)}</title></circle>
  ${index % labelEvery === 0 || index === days.length - 1 ? html`<text x="${x(index).toFixed(1)}" y="${height - 10}" text-anchor="middle">${day.day.slice(5)}</text>` : ""}`,
  )}
</svg>`;
}

/** Every day from the first to the last point, zero where nothing was spent. */
function fillDays(points: LinePoint[]): LinePoint[] {
  const byDay = new Map(points.map((point) => [point.day, point.micros]));
  const sorted = [...byDay.keys()].sort();
  const first = Date.parse(`${sorted[0]}T00:00:00Z`);
  const last = Date.parse(`${sorted[sorted.length - 1]}T00:00:00Z`);
  const days: LinePoint[] = [];
  // At most a year of days: an odd key never turns this into a long loop.
  for (let at = first; at <= last && days.length < 366; at += 86_400_000) {
    const day = new Date(at).toISOString().slice(0, 10);
    days.push({ day, micros: byDay.get(day) ?? 0 });
  }
  return days.length > 0 ? days : points;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
