import { z } from "zod";
import type { ExposedTarget } from "../../workflow/exposure.ts";

/** An exposed workflow or agent as an MCP tool: its name, what callers read, its input (and, for object outputs, output) JSON Schema. */
export interface ExposedToolDescriptor {
  name: string;
  description: string;
  inputSchema: { type: "object"; [key: string]: unknown };
  outputSchema?: { type: "object"; [key: string]: unknown };
}

/**
 * MCP tools take an object of arguments. A workflow whose input is an object takes the
 * arguments as its input; any other input (a string, a list) is the argument `input`.
 */
export function toolDescriptor(target: ExposedTarget): ExposedToolDescriptor {
  const input = jsonSchemaOf(target.workflow.input, "input");
  const wrapsInput = !isObjectSchema(input);
  const output = jsonSchemaOf(target.workflow.output, "output");
  return {
    name: target.name,
    description: target.description,
    inputSchema: wrapsInput ? { type: "object", properties: { input: input ?? {} }, required: ["input"] } : (input as ExposedToolDescriptor["inputSchema"]),
    ...(isObjectSchema(output) ? { outputSchema: output as ExposedToolDescriptor["outputSchema"] } : {}),
  };
}

/** The workflow input an MCP call's arguments stand for (see toolDescriptor). */
export function inputFromArguments(target: ExposedTarget, args: Record<string, unknown> | undefined): unknown {
  const wrapsInput = !isObjectSchema(jsonSchemaOf(target.workflow.input, "input"));
  return wrapsInput ? args?.input : (args ?? {});
}

/** The structured content of a run's output: MCP wants an object, so anything else is `{ result }`. */
export function structuredOutput(output: unknown): Record<string, unknown> {
  return output !== null && typeof output === "object" && !Array.isArray(output) ? (output as Record<string, unknown>) : { result: output ?? null };
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> | undefined {
  try {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
    return rest;
  } catch {
    // A schema JSON Schema cannot describe (a custom check): callers get no schema, Cadre still validates.
    return undefined;
  }
}

function isObjectSchema(schema: Record<string, unknown> | undefined): boolean {
  return schema?.type === "object";
}
