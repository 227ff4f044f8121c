import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";

/** Debian's chromium: the tests drive it with playwright-core, nothing is downloaded. */
export const chromiumPath = "/usr/bin/chromium";
export const artifacts = join(import.meta.dirname, "..", "..", "test-artifacts", "dashboard");

const launchArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * A describe block with a headless chromium shared by its tests. Without /usr/bin/chromium the
 * block is skipped with a notice, except in CI, where a missing browser fails the suite
 * (.ci/run installs it).
 */
export function describeInBrowser(name: string, body: (browser: () => Browser) => void): void {
  if (!existsSync(chromiumPath)) {
    if (process.env.CI) {
      describe(name, () => {
        it("needs chromium", () => {
          throw new Error(`${chromiumPath} is missing: the dashboard tests need Debian's chromium in CI (apt-get install -y chromium; .ci/run does it).`);
        });
      });
      return;
    }
    console.warn(`[dashboard tests skipped] ${chromiumPath} is missing: install it with \`apt-get install -y chromium\` to run them.`);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      const { chromium } = await import("playwright-core");
      browser = await chromium.launch({ executablePath: chromiumPath, args: launchArgs });
      mkdirSync(artifacts, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
    });
    body(() => browser!);
  });
}

/** A fresh browser context (own cookies) with a 1280×800 page. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the login form with `key`, landing on the runs page. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill("#key", key);
  await page.click("button[type=submit]");
  await page.waitForSelector("h1:text('Runs')");
}

/** Waits until the page follows its event stream (what happens from now on reaches it). */
export async function following(page: Page): Promise<void> {
  await page.waitForSelector("body[data-stream=open]");
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}
