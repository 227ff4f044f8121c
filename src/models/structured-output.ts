import type { LanguageModel, LanguageModelMiddleware } from "ai";
import { z } from "zod";

/** A JSON Schema as sent to a provider. */
export type JsonSchemaObject = Record<string, unknown>;

/**
 * The JSON Schema of a model agent's answer when it can be asked of the provider as a
 * structured-output response format: only an object at the root (OpenAI, Anthropic and most
 * OpenAI-compatible servers refuse any other root). Otherwise undefined, and the answer is
 * asked for in the system prompt only.
 */
export function structuredAnswerSchema(output: z.ZodType): JsonSchemaObject | undefined {
  const schema = z.toJSONSchema(output, { io: "output" }) as JsonSchemaObject;
  return schema.type === "object" ? schema : undefined;
}

/**
 * Whether OpenAI's strict mode accepts the schema: every object lists all its properties as
 * required and allows no others. Strict mode guarantees the schema; a schema it would refuse
 * (an optional field, a record) is sent non-strict instead, as guidance, rather than failing
 * every call with a 400.
 */
export function isStrictSchema(schema: unknown): boolean {
  if (typeof schema !== "object" || schema === null) return true;
  const node = schema as JsonSchemaObject;
  const properties = (node.properties ?? {}) as JsonSchemaObject;
  if (node.type === "object" || node.properties !== undefined) {
    const required = new Set((node.required as string[] | undefined) ?? []);
    if (node.additionalProperties !== false || Object.keys(properties).some((name) => !required.has(name))) return false;
  }
  const children = [
    ...Object.values(properties),
    ...Object.values((node.$defs ?? node.definitions ?? {}) as JsonSchemaObject),
    ...[node.anyOf, node.oneOf, node.allOf, node.prefixItems].flatMap((list) => (Array.isArray(list) ? list : [])),
    node.items,
    node.not,
  ];
  return children.every(isStrictSchema);
}

/** How a provider's models treat the answer's response format. */
export interface StructuredOutputSettings {
  /** false: never send a response format; the system prompt and the repair turn carry the contract. */
  enabled: boolean;
  /** The provider-options key of an OpenAI-style provider, whose `strictJsonSchema` is set per schema. */
  strictOptionsKey?: string;
}

/**
 * The middleware that applies a provider's structured-output settings to every call, so the
 * agent loop always asks for its answer's format and the configured provider decides what
 * goes on the wire.
 */
export function structuredOutputMiddleware(settings: StructuredOutputSettings): LanguageModelMiddleware {
  return {
    transformParams: async ({ params }) => {
      const format = params.responseFormat;
      if (format?.type !== "json") return params;
      if (!settings.enabled) return { ...params, responseFormat: undefined };
      if (!settings.strictOptionsKey || !format.schema) return params;
      const key = settings.strictOptionsKey;
      const strictJsonSchema = isStrictSchema(format.schema);
      return { ...params, providerOptions: { ...params.providerOptions, [key]: { ...params.providerOptions?.[key], strictJsonSchema } } };
    },
  };
}

/** The model with its provider's structured-output settings applied (unchanged when there is nothing to apply). */
export async function withStructuredOutputSettings(model: LanguageModel, settings: StructuredOutputSettings): Promise<LanguageModel> {
  // A model given by its gateway id string cannot be wrapped; it keeps the SDK's behaviour.
  if (typeof model === "string" || (settings.enabled && !settings.strictOptionsKey)) return model;
  const { wrapLanguageModel } = await import("ai");
  return wrapLanguageModel({ model, middleware: structuredOutputMiddleware(settings) });
}
