import { z } from "zod";
import type { SpendGrouping } from "../../governance/reports.ts";
import { defineRoute, type Route } from "../route.ts";
import { accountSummary, budgetQuery, fundBody, fundResponse, spendQuery, spendRow } from "../schemas.ts";

/** Money: accounts and deposits, and where the money went. */
export function moneyRoutes(): Route[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/budgets",
      summary: "The treasury, workflow and cap accounts with their balances; a run's accounts with runId",
      tag: "budgets",
      role: "viewer",
      query: budgetQuery,
      response: z.object({ items: z.array(accountSummary) }),
      handle: async ({ query, operator }) => ({ items: await operator.budgets.accounts({ runId: query.runId }) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/budgets/fund",
      summary: "Deposits into the treasury, allocated to a workflow or given to an unfinished run",
      tag: "budgets",
      role: "operator",
      body: fundBody,
      response: fundResponse,
      handle: ({ body, operator }) => operator.budgets.fund(body),
    }),
    defineRoute({
      method: "get",
      path: "/api/spend",
      summary: "Charges grouped by agent, tool, model, run or day, with model tokens",
      tag: "budgets",
      role: "viewer",
      query: spendQuery,
      response: z.object({ by: z.string(), items: z.array(spendRow) }),
      handle: async ({ query, operator }) => ({
        by: query.by,
        items: await operator.budgets.spend({ by: query.by as SpendGrouping, runId: query.runId, agent: query.agent, includeChildRuns: query.includeChildRuns === undefined ? undefined : query.includeChildRuns === "true" }),
      }),
    }),
  ];
}
