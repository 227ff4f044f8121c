import { z } from "zod";
import type { Route } from "./route.ts";
import { errorResponse } from "./schemas.ts";

type JsonSchema = { properties?: Record<string, unknown>; required?: string[] } & Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { io, unrepresentable: "any", target: "openapi-3.0" }) as JsonSchema;

/** The OpenAPI 3.0 document of the routes, generated from the same zod schemas that parse their requests. */
export function openApiDocument(routes: readonly Route[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(\w)/g, (_match, letter: string) => letter.toUpperCase())}`,
      "x-cadre-role": route.role,
      security: route.role === "public" ? [] : [{ operatorKey: [] }, { operatorKeyCookie: [] }],
      parameters: [...parameters(route.params, "path"), ...parameters(route.query, "query")],
      responses: {
        [String(route.status ?? 200)]: { description: "success", content: { [route.produces ?? "application/json"]: { schema: toSchema(route.response, "output") } } },
        default: { description: "an error: the status follows from error.code", content: { "application/json": { schema: toSchema(errorResponse, "output") } } },
      },
    };
    if (route.body) operation.requestBody = { required: true, content: { "application/json": { schema: toSchema(route.body, "input") } } };
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: "3.0.3",
    info: { ...info, description: "Cadre's HTTP API (cadre serve). Money is integer micro-units (1 USD = 1,000,000); times are epoch milliseconds. Lists are paged with ?cursor=&limit= and answer { items, nextCursor }." },
    paths,
    components: {
      securitySchemes: {
        operatorKey: { type: "http", scheme: "bearer", description: "an operator key: cadre keys create --operator <name> --role <role>" },
        operatorKeyCookie: { type: "apiKey", in: "cookie", name: "cadre_operator_key" },
      },
    },
  };
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query"): unknown[] {
  if (!schema) return [];
  const json = toSchema(schema, "input");
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof (property as { description?: unknown }).description === "string" ? { description: (property as { description: string }).description } : {}),
  }));
}
