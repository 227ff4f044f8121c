import { defineRoute, type Route } from "../route.ts";
import { auditExportQuery, auditQuery, auditRecord, auditReport, pageOf } from "../schemas.ts";

/** The hash-chained audit log: pages of records, verification, export. */
export function auditRoutes(): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/audit",
      summary: "Audit records newest first, a page at a time; filter by run, kind (approval.* for a family), agent, principal, time",
      tag: "audit",
      role: "viewer",
      query: auditQuery,
      response: pageOf(auditRecord),
      handle: ({ query, operator }) => operator.audit.list(query),
    }),
    defineRoute({
      method: "post",
      path: "/api/audit/verify",
      summary: "Walks every link of the chain and checks every checkpoint",
      tag: "audit",
      role: "viewer",
      response: auditReport,
      handle: ({ operator }) => operator.audit.verify(),
    }),
    defineRoute({
      method: "get",
      path: "/api/audit/export",
      summary: "Every record in chain order, hashes included, one JSON object a line (of one run with runId)",
      tag: "audit",
      role: "viewer",
      query: auditExportQuery,
      response: auditRecord,
      produces: "application/x-ndjson",
      handle: async ({ query, operator }) => {
        const records = operator.audit.export({ runId: query.runId });
        const encoder = new TextEncoder();
        // Streamed a record at a time: a long log never sits in memory.
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = await records.next();
            if (next.done) controller.close();
            else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
          },
          async cancel() {
            await records.return(undefined);
          },
        });
        return new Response(body, { headers: { "content-type": "application/x-ndjson", "content-disposition": 'attachment; filename="cadre-audit.ndjson"' } });
      },
    }),
  ];
}
