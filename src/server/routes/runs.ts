import { z } from "zod";
import { UnknownRunError } from "../../engine/engine-errors.ts";
import type { RunTree } from "../../operator/run-tree.ts";
import type { RunStatus } from "../../store/schema.ts";
import { streamRunEvents } from "../event-stream.ts";
import { defineRoute, type Route } from "../route.ts";
import { boundedOutput, finalStatuses, type RunEvent } from "../run-events.ts";
import {
  cancelRunBody,
  cancelledRunResponse,
  journalEntry,
  pageOf,
  resumeRunBody,
  runDetailResponse,
  runEventEnvelope,
  runIdParams,
  runListQuery,
  runSummary,
  startedRun,
  startRunBody,
} from "../schemas.ts";

/** Runs: list, read with the step tree, start, resume, cancel, and their live events. */
export function runRoutes(options: { heartbeatMs: number; signal: AbortSignal }): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/runs",
      summary: "Runs, newest first, a page at a time; filter by status (comma-separated), workflow or parent run",
      tag: "runs",
      role: "viewer",
      query: runListQuery,
      response: pageOf(runSummary),
      handle: ({ query, operator }) =>
        operator.runs.list({
          status: query.status?.split(",").map((status) => status.trim()) as RunStatus[] | undefined,
          workflow: query.workflow,
          parentRunId: query.parent === "none" ? null : query.parent,
          limit: query.limit,
          cursor: query.cursor,
        }),
    }),
    defineRoute({
      method: "post",
      path: "/api/runs",
      summary: "Starts a run of a workflow; answers at once with its id (follow it with /api/runs/{id}/events)",
      tag: "runs",
      role: "operator",
      body: startRunBody,
      response: startedRun,
      status: 201,
      handle: async ({ body, runtime, identity }) => {
        const handle = await runtime.start(body.workflow, body.input ?? {}, { budget: body.budget, goal: body.goal, principal: identity.name });
        // The run reports its own end (events, store); nobody awaits it here.
        void handle.result().catch(() => {});
        return { runId: handle.runId, status: "running" };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/runs/:id",
      summary: "One run with its step tree (steps, charges, child runs), its cost and what it waits for",
      tag: "runs",
      role: "viewer",
      params: runIdParams,
      response: runDetailResponse,
      handle: async ({ params, operator }) => ({ tree: await operator.runs.tree(params.id), cost: await operator.runs.cost(params.id), waits: await operator.runs.waits(params.id) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/runs/:id/steps",
      summary: "The latest attempt of every step of the run, parents before the steps inside them",
      tag: "runs",
      role: "viewer",
      params: runIdParams,
      response: z.object({ items: z.array(journalEntry) }),
      handle: async ({ params, operator }) => ({ items: await operator.runs.steps(params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/runs/:id/resume",
      summary: "Resumes an interrupted, failed or approved run from its journal; answers at once",
      tag: "runs",
      role: "operator",
      params: runIdParams,
      body: resumeRunBody,
      response: startedRun,
      status: 202,
      handle: async ({ params, body, runtime, identity }) => {
        const handle = await runtime.resume(params.id, { force: body.force, principal: identity.name });
        void handle.result().catch(() => {});
        const run = await runtime.getRun(params.id);
        return { runId: handle.runId, status: run?.status ?? "running" };
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/runs/:id/cancel",
      summary: "Cancels a run and its unfinished child runs: holds released, unspent budget returned, audited",
      tag: "runs",
      role: "operator",
      params: runIdParams,
      body: cancelRunBody,
      response: cancelledRunResponse,
      handle: ({ params, body, runtime, identity }) => runtime.cancel(params.id, { principal: identity.name, reason: body.reason }),
    }),
    defineRoute({
      method: "get",
      path: "/api/runs/:id/events",
      summary: "The live events of the run and its child runs (SSE): what this server still keeps of them first, then live; ends with the run's final run-end",
      tag: "events",
      role: "viewer",
      params: runIdParams,
      response: runEventEnvelope,
      produces: "text/event-stream",
      handle: async ({ params, runtime, operator, events, http }) => {
        const run = await runtime.getRun(params.id);
        if (!run) throw new UnknownRunError({ runId: params.id });
        const isFinalEnd = (event: Pick<RunEvent, "type" | "runId" | "data">) => event.runId === run.id && event.type === "run-end" && finalStatuses.has(String(event.data.status));
        // The run and its child runs, known now or started later (a child's run-start names its parent).
        const tree = new Set(runTreeIds(await operator.runs.tree(run.id)));
        return streamRunEvents(http, {
          hub: events,
          filter: (event) => {
            if (event.type === "run-start" && typeof event.data.parentRunId === "string" && tree.has(event.data.parentRunId)) tree.add(event.runId);
            return tree.has(event.runId);
          },
          replayWithoutId: true,
          heartbeatMs: options.heartbeatMs,
          signal: options.signal,
          endsWith: isFinalEnd,
          // A run that ended before this server saw it (or long ago): its end, from the store.
          afterReplay: async (replayed, write) => {
            const current = (await runtime.getRun(run.id))!;
            if (!finalStatuses.has(current.status) || replayed.some(isFinalEnd)) return false;
            await write({ type: "run-end", runId: current.id, at: current.endedAt ?? current.updatedAt, data: { workflow: current.workflow, status: current.status, ...boundedOutput(current.output ?? undefined), error: current.error, fromStore: true } });
            return true;
          },
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/events",
      summary: "Every run's live events (SSE); send Last-Event-ID to get what was missed since",
      tag: "events",
      role: "viewer",
      response: runEventEnvelope,
      produces: "text/event-stream",
      handle: async ({ events, http }) => streamRunEvents(http, { hub: events, filter: () => true, replayWithoutId: false, heartbeatMs: options.heartbeatMs, signal: options.signal }),
    }),
  ];
}

/** The ids of a run tree, the root first. */
function runTreeIds(tree: RunTree): string[] {
  return [tree.run.id, ...tree.children.flatMap(runTreeIds)];
}
