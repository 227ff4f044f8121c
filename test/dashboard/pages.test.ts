import { describe, expect, it } from "vitest";
import { serverFixture } from "../server/fixture.ts";

/** The dashboard over plain HTTP, no browser: what the server sends. */
describe("dashboard pages over HTTP", () => {
  const open = serverFixture("sqlite");
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: "manual" });

  it("escapes what it shows: a filter value cannot inject markup", async () => {
    const fixture = await open();
    const response = await get(`${fixture.server.url}/audit?kind=${encodeURIComponent('"><script>alert(1)</script>')}`, { cookie: `cadre_operator_key=${fixture.keys.viewer}` });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).not.toContain("<script>alert(1)</script>");
    expect(body).toContain("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("answers a fragment request with the live part only, and serves its script and stylesheet", async () => {
    const fixture = await open();
    const cookie = `cadre_operator_key=${fixture.keys.viewer}`;
    const fragment = await (await get(`${fixture.server.url}/agents`, { cookie, "x-cadre-fragment": "1" })).text();
    expect(fragment).toContain('<table id="agents">');
    expect(fragment).not.toContain("<html");
    const script = await get(`${fixture.server.url}/assets/dashboard.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    // The script parses as JavaScript (a broken string template would not).
    const source = await script.text();
    expect(() => new Function(source)).not.toThrow();
    const css = await get(`${fixture.server.url}/assets/dashboard.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    expect(await css.text()).toContain(":focus-visible");
  });

  it("draws the actions a role may take and no others; a page without a key, or a fragment with a revoked one, sends the browser to sign in", async () => {
    const fixture = await open();
    const withKey = (role: "viewer" | "admin") => ({ cookie: `cadre_operator_key=${fixture.keys[role]}` });
    expect(await (await get(`${fixture.server.url}/agents`, withKey("viewer"))).text()).not.toContain("data-api=");
    expect(await (await get(`${fixture.server.url}/agents`, withKey("admin"))).text()).toContain('data-api="/api/agents/clerk/revoke"');
    expect(await (await get(`${fixture.server.url}/`, withKey("viewer"))).text()).not.toContain("data-start-run");
    expect(await (await get(`${fixture.server.url}/`, withKey("admin"))).text()).toContain("data-start-run");

    const anonymous = await get(`${fixture.server.url}/spend`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login");
    await fixture.api("/api/keys/" + (await fixture.operator.keys.list()).find((key) => key.operator === "viewer")!.id, { method: "DELETE" });
    const revoked = await get(`${fixture.server.url}/spend`, { ...withKey("viewer"), "x-cadre-fragment": "1" });
    expect(revoked.status).toBe(401);
  });

  it("signs in with a form post: the cookie is HttpOnly and SameSite=Strict; a wrong key is a 401 page and sets nothing", async () => {
    const fixture = await open();
    const post = (key: string) => fetch(`${fixture.server.url}/login`, { method: "POST", body: new URLSearchParams({ key }), redirect: "manual" });
    const wrong = await post("cadre_op_wrong");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const right = await post(fixture.keys.approver);
    expect(right.status).toBe(303);
    expect(right.headers.get("set-cookie")).toMatch(/^cadre_operator_key=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  });
});
