import { InputValidationError } from "../errors.ts";

const unitMs: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since`: a span back from now (`30m`, `12h`, `7d`, `2w`) or a date (`2026-11-01`, any ISO 8601 instant); epoch ms. */
export function parseSince(text: string, now: number): number {
  const span = /^(\d+)([mhdw])$/.exec(text.trim());
  if (span) return now - Number(span[1]) * unitMs[span[2]!]!;
  const date = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(date)) throw new InputValidationError({ message: `--since is a span back from now (30m, 12h, 7d, 2w) or a date (2026-11-01); got "${text}".`, since: text });
  return date;
}

/** `--volume`: runs a day, written `1000`, `1000/day` or `50/hour`. */
export function parseVolume(text: string): number {
  const match = /^(\d+)(?:\/(day|d|hour|h))?$/.exec(text.trim().replace(/[_,]/g, ""));
  const count = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1) throw new InputValidationError({ message: `--volume is a number of runs a day or an hour, such as 1000/day or 50/hour; got "${text}".`, volume: text });
  return match[2] === "hour" || match[2] === "h" ? count * 24 : count;
}

/** `--what-if`: `agent=provider:model-id,...`; `*=model` reprices every agent not named. */
export function parseWhatIf(text: string): Record<string, string> {
  const assignment: Record<string, string> = {};
  for (const part of text.split(",").map((item) => item.trim()).filter(Boolean)) {
    const equals = part.indexOf("=");
    const agent = part.slice(0, equals).trim();
    const model = part.slice(equals + 1).trim();
    if (equals <= 0 || !/^[^:\s]+:\S+$/.test(model)) {
      throw new InputValidationError({ message: `--what-if takes agent=provider:model-id pairs separated by commas, such as writer=openai:gpt-4o-mini,*=openai:gpt-4.1-nano; got "${part}".`, whatIf: text, part });
    }
    if (Object.hasOwn(assignment, agent)) throw new InputValidationError({ message: `--what-if names agent "${agent}" twice.`, whatIf: text, agent });
    assignment[agent] = model;
  }
  if (Object.keys(assignment).length === 0) throw new InputValidationError({ message: "--what-if needs at least one agent=provider:model-id pair.", whatIf: text });
  return assignment;
}
