import type { Message } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import type { z } from "zod";

/**
 * A target's input from a message: the first data part's value; else the text (its parts
 * joined) as JSON when that parses and fits the input schema, else as the plain string. What
 * fits neither is passed on as is, and the run's input validation says what is wrong.
 */
export function messageInput(message: Message, schema: z.ZodType): unknown {
  for (const part of message.parts) if (part.content?.$case === "data") return part.content.value;
  const text = message.parts.flatMap((part) => (part.content?.$case === "text" ? [part.content.value] : [])).join("\n");
  if (text === "") throw new RequestMalformedError("The message has no data or text part: send the input as a data part, or as text (JSON, or a plain string for a string input).");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text;
  }
  if (schema.safeParse(json).success) return json;
  if (schema.safeParse(text).success) return text;
  return json;
}

/** An answer to an approval: a data part `{ approved, note? }`, or text starting with approve/yes or reject/no (the rest is the note). */
export function approvalAnswer(message: Message): { approved: boolean; note?: string } {
  for (const part of message.parts) {
    if (part.content?.$case !== "data") continue;
    const value = part.content.value as { approved?: unknown; note?: unknown } | null;
    if (typeof value?.approved !== "boolean") break;
    return { approved: value.approved, ...(typeof value.note === "string" ? { note: value.note } : {}) };
  }
  const text = message.parts.flatMap((part) => (part.content?.$case === "text" ? [part.content.value] : [])).join("\n").trim();
  const match = /^(approve|approved|yes|reject|rejected|no)\b[\s:,.-]*([\s\S]*)$/i.exec(text);
  if (!match) throw new RequestMalformedError(`The task waits for an approval: answer "approve" or "reject" (text, optionally followed by a note), or a data part {"approved": true|false, "note": "..."}; got ${JSON.stringify(text.slice(0, 80))}.`);
  const approved = ["approve", "approved", "yes"].includes(match[1]!.toLowerCase());
  return { approved, ...(match[2] ? { note: match[2] } : {}) };
}
