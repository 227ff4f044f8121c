import type { Context, Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import { CadreError, errorCatalog, type ErrorCode } from "../../errors.ts";
import type { Operator } from "../../operator/operator.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { authenticate, keyCookie, type Identity, type ServerAuth } from "../auth.ts";
import type { FailedAttempts } from "../failed-attempts.ts";
import { dashboardScript } from "./client.ts";
import { page } from "./layout.ts";
import { loginPage } from "./login.ts";
import type { PageContext, RenderedPage } from "./page-context.ts";
import { agentsPage } from "./pages/agents.ts";
import { approvalsPage } from "./pages/approvals.ts";
import { auditPage } from "./pages/audit.ts";
import { runPage } from "./pages/run.ts";
import { runsPage } from "./pages/runs.ts";
import { spendPage } from "./pages/spend.ts";
import { dashboardCss } from "./styles.ts";

export interface DashboardServices {
  runtime: Runtime;
  operator: Operator;
  auth: ServerAuth;
  failures: FailedAttempts;
  now: () => number;
}

const pages: Array<[path: string, render: (context: PageContext) => Promise<RenderedPage>]> = [
  ["/", runsPage],
  ["/runs/:id", runPage],
  ["/approvals", approvalsPage],
  ["/agents", agentsPage],
  ["/spend", spendPage],
  ["/audit", auditPage],
];

/**
 * The dashboard beside the API: server-rendered pages read through the operator API as the
 * caller, a stylesheet and a script. With keys, the browser signs in once and holds the key
 * in the `cadre_operator_key` cookie (HttpOnly, SameSite=Strict), which the API also accepts.
 * A request with `x-cadre-fragment: 1` gets the page's live part only (what the script swaps in).
 */
export function mountDashboard(app: Hono<any>, services: DashboardServices): void {
  app.get("/assets/dashboard.js", (http) => asset(http, dashboardScript, "text/javascript; charset=utf-8"));
  app.get("/assets/dashboard.css", (http) => asset(http, dashboardCss, "text/css; charset=utf-8"));
  app.get("/login", (http) => (services.auth.mode === "dev" ? http.redirect("/", 303) : http.html(loginPage())));
  app.post("/login", async (http) => {
    if (services.auth.mode === "dev") return http.redirect("/", 303);
    const address = addressOf(http);
    try {
      services.failures.check(address);
    } catch (error) {
      if (!CadreError.is(error) || error.code !== "RATE_LIMITED") throw error;
      return http.html(loginPage("Too many failed sign-ins from this address: wait a minute, then try again."), 429);
    }
    const form = await http.req.parseBody();
    const secret = typeof form.key === "string" ? form.key.trim() : "";
    const key = secret === "" ? undefined : await services.operator.keys.authenticate(secret);
    if (!key) {
      services.failures.record(address);
      return http.html(loginPage("That key is unknown or revoked. List keys with `cadre keys list --operators`."), 401);
    }
    setCookie(http, keyCookie, secret, { httpOnly: true, sameSite: "Strict", path: "/", secure: new URL(http.req.url).protocol === "https:" });
    return http.redirect("/", 303);
  });
  app.post("/logout", (http) => {
    deleteCookie(http, keyCookie, { path: "/" });
    return http.redirect(services.auth.mode === "dev" ? "/" : "/login", 303);
  });
  for (const [path, render] of pages) {
    app.get(path, async (http) => {
      let identity: Identity;
      try {
        identity = await authenticate(http, { auth: services.auth, operator: services.operator, failures: services.failures, address: addressOf(http) });
      } catch (error) {
        if (!CadreError.is(error) || error.code !== "UNAUTHENTICATED") throw error;
        if (http.req.header("x-cadre-fragment")) return http.text("sign in again", 401);
        deleteCookie(http, keyCookie, { path: "/" });
        return http.redirect("/login", 303);
      }
      const context: PageContext = {
        operator: services.operator.as(identity.name),
        runtime: services.runtime,
        identity,
        params: http.req.param() as Record<string, string>,
        query: http.req.query(),
        now: services.now,
      };
      http.header("cache-control", "no-store");
      let rendered: RenderedPage;
      try {
        rendered = await render(context);
      } catch (error) {
        // An unknown run or a bad filter: said on a page, with the status the API would answer.
        if (!CadreError.is(error)) throw error;
        const status = (errorCatalog[error.code as ErrorCode]?.http ?? 500) as 404;
        return http.html(page({ ...errorPage(error, path), identity, signedIn: services.auth.mode === "keys" }), status);
      }
      if (http.req.header("x-cadre-fragment")) return http.html(rendered.body);
      return http.html(page({ ...rendered, identity, signedIn: services.auth.mode === "keys" }));
    });
  }
}

function asset(http: Context, body: string, type: string): Response {
  return http.body(body, 200, { "content-type": type, "cache-control": "no-cache" });
}

function addressOf(http: Context): string {
  return (http.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? "local";
}

function errorPage(error: CadreError, path: string): RenderedPage {
  return {
    title: error.code,
    section: path === "/" || path.startsWith("/runs") ? "runs" : (path.slice(1) as RenderedPage["section"]),
    body: html`<h1>${error.code}</h1><p id="page-error">${error.message}</p><p><a href="${path.startsWith("/runs/") ? "/" : path}">Back</a></p>`,
  };
}
