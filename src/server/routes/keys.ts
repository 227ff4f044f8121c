import { z } from "zod";
import { defineRoute, type Route } from "../route.ts";
import { createKeyBody, issuedOperatorKey, keyParams, me, operatorKeyRecord, revokedKeys } from "../schemas.ts";

/** Who is calling, and the operator keys admins manage. */
export function keyRoutes(): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/me",
      summary: "The operator this request acts as, and its role",
      tag: "keys",
      role: "viewer",
      response: me,
      handle: async ({ identity }) => ({ name: identity.name, role: identity.role }),
    }),
    defineRoute({
      method: "get",
      path: "/api/keys",
      summary: "Every operator key, never the secrets",
      tag: "keys",
      role: "admin",
      response: z.object({ items: z.array(operatorKeyRecord) }),
      handle: async ({ operator }) => ({ items: await operator.keys.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/keys",
      summary: "Issues an operator key: the secret is in this response only",
      tag: "keys",
      role: "admin",
      body: createKeyBody,
      response: issuedOperatorKey,
      status: 201,
      handle: ({ body, operator }) => operator.keys.create(body),
    }),
    defineRoute({
      method: "delete",
      path: "/api/keys/:id",
      summary: "Revokes one operator key",
      tag: "keys",
      role: "admin",
      params: keyParams,
      response: revokedKeys,
      handle: ({ params, operator }) => operator.keys.revoke({ keyId: params.id }),
    }),
  ];
}
