import { afterEach, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { serverFixture } from "../server/fixture.ts";
import { describeInBrowser, following, openPage, screenshot, signIn } from "./browser.ts";

describeInBrowser("dashboard in a browser", (browser) => {
  describe.each(["sqlite", "postgres"] as const)("%s", (dialect) => dashboardTests(browser, dialect));
});

function dashboardTests(browser: () => Browser, dialect: "sqlite" | "postgres"): void {
  const open = serverFixture(dialect);
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  // One set of screenshots is enough: the SQLite run's.
  const shot = (page: Page, name: string) => (dialect === "sqlite" ? screenshot(page, name) : Promise.resolve());
  const newPage = async () => {
    const opened = await openPage(browser());
    contexts.push(opened.context);
    return opened.page;
  };

  it("a run started over the API appears in the runs page and turns completed live; its page draws the waterfall", async () => {
    const fixture = await open();
    const page = await newPage();
    await signIn(page, fixture.server.url, fixture.keys.admin);
    await following(page);
    const started = await fixture.api("/api/runs", { body: { workflow: "spend", input: { calls: 3 } } });
    expect(started.status).toBe(201);
    const runId = started.body.runId as string;
    // Nobody reloads the page: the row arrives and turns completed through the event stream.
    const row = page.locator(`tr[data-run-id="${runId}"][data-status="completed"]`);
    await row.waitFor();
    expect(await row.locator("td.num").first().textContent()).toBe("$0.03");
    await shot(page, "runs");

    await row.locator("a").first().click();
    await page.waitForSelector("#waterfall");
    expect(await page.locator("#run-status").getAttribute("data-status")).toBe("completed");
    expect(await page.locator("#run-cost").textContent()).toBe("$0.03");
    // The agent step, and its three tool calls inside it, each charged a cent.
    const toolRows = page.locator("#waterfall tr[data-step]").filter({ hasText: "lookup" });
    expect(await toolRows.count()).toBe(3);
    expect(await toolRows.first().locator("td.num").nth(2).textContent()).toBe("$0.01");
    expect(await page.locator("#waterfall tr[data-step] td.bar rect").count()).toBe(4);
    await shot(page, "run");
  });

  it("a parked approval is approved with the button and the run page follows the run to completed", async () => {
    const fixture = await open();
    const page = await newPage();
    await signIn(page, fixture.server.url, fixture.keys.approver);
    await page.goto(`${fixture.server.url}/approvals`);
    await following(page);
    const started = await fixture.api("/api/runs", { body: { workflow: "payout", input: { amount: 40 } } });
    const runId = started.body.runId as string;
    const row = page.locator(`tr[data-run-id="${runId}"][data-approval="payout"]`);
    await row.waitFor();
    expect(await row.locator("pre").textContent()).toContain('"amount": 40');
    await shot(page, "approvals");

    await row.locator("input").fill("looks right");
    // With the keyboard: Tab from the note reaches the Approve button, Enter presses it.
    await row.locator("input").focus();
    await page.keyboard.press("Tab");
    expect(await page.locator(":focus").textContent()).toBe("Approve");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#flash.ok");
    // The queue empties once the decision's event arrives.
    await page.locator(`tr[data-run-id="${runId}"]`).waitFor({ state: "detached" });
    await page.goto(`${fixture.server.url}/runs/${runId}`);
    await page.waitForSelector('#run-status[data-status="completed"]');
    expect(await page.locator("#run-output").textContent()).toContain("paid 40, approved by approver");
    const decided = await fixture.api(`/api/audit?runId=${runId}&kind=approval.*`);
    expect(decided.body.items.some((record: { principal: string; data: { note?: string } }) => record.principal === "approver" && record.data.note === "looks right")).toBe(true);
  });

  it("a viewer sees the queue without decision buttons, and the API refuses its cookie with 403", async () => {
    const fixture = await open();
    const started = await fixture.api("/api/runs", { body: { workflow: "payout", input: { amount: 5 } } });
    const runId = started.body.runId as string;
    const page = await newPage();
    await signIn(page, fixture.server.url, fixture.keys.viewer);
    await page.goto(`${fixture.server.url}/runs/${runId}`);
    // Live: the run parks after this page may have been drawn.
    await page.waitForSelector('#run-status[data-status="waiting"]');
    await page.goto(`${fixture.server.url}/approvals`);
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await page.locator("#approver-notice").isVisible()).toBe(true);
    expect(await row.getByRole("button").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Start run" }).count()).toBe(0);
    const answer = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    }, `/api/approvals/${runId}/payout/approve`);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("FORBIDDEN");
    expect((await fixture.operator.approvals.pending({ runId })).length).toBe(1);
  });

  it("the spend page draws the agents and days that spent; agents and audit pages render; verify reports an intact chain", async () => {
    const fixture = await open();
    for (const calls of [2, 5]) await fixture.api("/api/runs", { body: { workflow: "spend", input: { calls } } });
    await fixture.api("/api/runs", { body: { workflow: "batch", input: {} } });
    const page = await newPage();
    await signIn(page, fixture.server.url, fixture.keys.admin);
    // Three runs listed once they have all parked or ended.
    await page.locator("#runs tr[data-status=completed]").nth(1).waitFor();
    await page.locator('#runs tr[data-status="waiting"]').first().waitFor();

    await page.goto(`${fixture.server.url}/?status=waiting`);
    expect(await page.locator("#runs tr[data-run-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-status")))).toEqual(["waiting", "waiting"]);
    await page.goto(`${fixture.server.url}/?workflow=spend&limit=1`);
    expect(await page.locator("#runs tr[data-run-id]").count()).toBe(1);
    await page.getByRole("link", { name: "Older runs" }).click();
    await page.waitForURL(/cursor=/);
    expect(await page.locator("#runs tr[data-run-id] td:nth-child(2)").allTextContents()).toEqual(["spend"]);

    await page.goto(`${fixture.server.url}/spend`);
    const clerkBar = page.locator('#spend-agents [data-bar="clerk"]');
    await clerkBar.waitFor();
    // 2 + 5 cents from the spend runs, 1 + 2 from the batch and its child payout.
    expect(await clerkBar.textContent()).toContain("$0.10");
    expect(await page.locator("#spend-days circle").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#spend-tools [data-bar="lookup"]').count()).toBe(1);
    await shot(page, "spend");

    await page.goto(`${fixture.server.url}/agents`);
    const clerk = page.locator('tr[data-agent="clerk"]');
    expect(await clerk.getAttribute("data-status")).toBe("active");
    expect(await clerk.locator("td.num").textContent()).toBe("$0.10");
    await shot(page, "agents");
    page.once("dialog", (dialog) => void dialog.accept());
    await clerk.getByRole("button", { name: "Revoke" }).click();
    await page.waitForSelector('tr[data-agent="clerk"][data-status="revoked"]');
    expect((await fixture.operator.agents.get("clerk")).status).toBe("revoked");

    await page.goto(`${fixture.server.url}/audit?kind=agent.*`);
    await page.locator("#audit tr[data-kind]").first().waitFor();
    expect(await page.locator("#audit tr[data-kind]").evaluateAll((rows) => rows.every((row) => row.getAttribute("data-kind")!.startsWith("agent.")))).toBe(true);
    await page.goto(`${fixture.server.url}/audit?limit=3`);
    const firstPage = (await page.locator("#audit tr[data-seq]").evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-seq")))));
    expect(firstPage).toHaveLength(3);
    await page.getByRole("link", { name: "Older records" }).click();
    await page.waitForURL(/cursor=/);
    const secondPage = await page.locator("#audit tr[data-seq]").evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-seq"))));
    expect(secondPage).toEqual([firstPage[2]! - 1, firstPage[2]! - 2, firstPage[2]! - 3]);
    await page.getByRole("button", { name: "Verify the chain" }).click();
    await page.waitForSelector("#flash.ok");
    expect(await page.locator("#flash").textContent()).toMatch(/^Verified: the chain is intact \(\d+ records/);
    await shot(page, "audit");
  });

  it("without a key a page sends the browser to sign in; an unknown key is refused there", async () => {
    const fixture = await open();
    const page = await newPage();
    await page.goto(`${fixture.server.url}/agents`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill("#key", "cadre_op_not-a-real-key");
    await page.click("button[type=submit]");
    await page.waitForSelector("#login-error");
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === "cadre_operator_key")).toBeUndefined();
    await shot(page, "login");

    await signIn(page, fixture.server.url, fixture.keys.viewer);
    const missing = await page.goto(`${fixture.server.url}/runs/run_nope`);
    expect(missing!.status()).toBe(404);
    expect(await page.locator("h1").textContent()).toBe("UNKNOWN_RUN");
    const cookie = (await page.context().cookies()).find((candidate) => candidate.name === "cadre_operator_key")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Strict");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForSelector("#key");
    await page.goto(`${fixture.server.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
  });

  it("the dev playground serves every page without a key", async () => {
    const fixture = await open({ auth: { mode: "dev" } });
    const page = await newPage();
    await page.goto(`${fixture.server.url}/`);
    await following(page);
    await page.locator("#start-workflow").selectOption("spend");
    await page.locator("#start-input").fill('{"calls": 1}');
    await page.getByRole("button", { name: "Start run" }).click();
    // The form takes the browser to the new run's page, which follows it to the end.
    await page.waitForSelector('#run-status[data-status="completed"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/runs\//);
    expect(await page.locator('[data-role="admin"]').count()).toBe(1);
  });
}
