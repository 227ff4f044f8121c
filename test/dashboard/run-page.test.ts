import { afterEach, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { describeInBrowser, following, openPage, screenshot } from "./browser.ts";
import { briefingAnswer, demoServer } from "./demo.ts";

describeInBrowser("a run's page in a browser", (browser) => {
  const open = demoServer();
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  it("draws model turns with their tokens and cost, the refused tool call, and the child run nested under its step", async () => {
    const { server } = await open();
    const { context, page } = await openPage(browser());
    contexts.push(context);
    const started = await fetch(`${server.url}/api/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ workflow: "credit-review", input: { applicant: "A-1042" } }) });
    const { runId } = (await started.json()) as { runId: string };
    await page.goto(`${server.url}/runs/${runId}`);
    await page.waitForSelector('#run-status[data-status="completed"]');

    const modelRows = page.locator('#waterfall tr[data-step]').filter({ has: page.locator("td:text-is('model')") });
    expect(await modelRows.count()).toBe(2);
    // 1,200 in and 40 out at $3 and $15 a million tokens: $0.0042.
    expect(await modelRows.first().locator("td.num").nth(3).textContent()).toBe("1,200 / 40");
    expect(await modelRows.first().locator("td.num").nth(2).textContent()).toBe("$0.0042");
    // The intern's bureau call, refused by the gateway, and the intern's step that it ended.
    const refused = page.locator('#waterfall tr[data-status="failed"]').filter({ has: page.locator('[data-error="PERMISSION_DENIED"]') });
    expect(await refused.locator("td:nth-child(2)").allTextContents()).toEqual(["agent", "tool"]);
    expect(await refused.first().locator("[data-error]").textContent()).toBe("refused: PERMISSION_DENIED");
    const child = page.locator("#waterfall tr[data-child-run]");
    expect(await child.count()).toBe(1);
    // The child run's own steps follow its row, indented deeper.
    const childRunId = await child.getAttribute("data-child-run");
    expect(await page.locator(`#waterfall tr[data-run="${childRunId}"]`).count()).toBe(3);
    expect(await page.locator("#answers pre").first().textContent()).toContain("bureau file is clean");
    await screenshot(page, "run-model");
  });
  it("a run page opened while the run waits follows it: the approval's buttons, then the model's answer streamed in, then completed", async () => {
    const { server } = await open();
    const { context, page } = await openPage(browser());
    contexts.push(context);
    const started = await fetch(`${server.url}/api/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ workflow: "briefing", input: { applicant: "A-1042" } }) });
    const { runId } = (await started.json()) as { runId: string };
    await page.goto(`${server.url}/runs/${runId}`);
    await following(page);
    // Live: the approval appears here once the run parks, whenever that is.
    const approve = page.locator('#waits [data-approval="go"]').getByRole("button", { name: "Approve" });
    await approve.click();
    await page.waitForSelector('#run-status[data-status="completed"]');
    await page.waitForSelector("body[data-stream=closed]");
    // The text came as model-delta events: the server renders no data-streamed answer.
    const streamed = page.locator('#answers[data-streamed="true"] pre');
    expect(await streamed.count()).toBe(1);
    expect(await streamed.textContent()).toBe(briefingAnswer);
    expect(await page.locator("#run-output").textContent()).toContain("clean bureau file");
    // Reloaded, the same answer is read from the journal.
    await page.reload();
    expect(await page.locator("#answers pre").textContent()).toBe(briefingAnswer);
    expect(await page.locator("#answers").getAttribute("data-streamed")).toBeNull();
  });
});
