import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { Identity } from "../auth.ts";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** What makes a page live: the SSE stream it follows and which event types make it re-read its fragment. */
export interface LiveOptions {
  events: string;
  refreshOn: string[];
  /** A run page: its stream ends with this run's final run-end. */
  runId?: string;
  /** Nothing more will happen (a finished run): do not follow. */
  final?: boolean;
}

export interface PageShell {
  title: string;
  /** The nav entry this page belongs to. */
  section: "runs" | "approvals" | "agents" | "spend" | "audit";
  identity: Identity;
  /** True when keys are in use: the header offers to sign out. */
  signedIn: boolean;
  live?: LiveOptions;
  body: Html;
}

const sections = [
  ["runs", "/", "Runs"],
  ["approvals", "/approvals", "Approvals"],
  ["agents", "/agents", "Agents"],
  ["spend", "/spend", "Spend"],
  ["audit", "/audit", "Audit"],
] as const;

/** The page around a fragment: header and navigation, the flash line, the live region. */
export function page(shell: PageShell): Html {
  const live = shell.live;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shell.title} · Cadre</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<a class="sr-only" href="#live">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Cadre</a>
  <nav aria-label="Sections">
    ${sections.map(([key, href, label]) => html`<a href="${href}"${key === shell.section ? html` aria-current="page"` : ""}>${label}</a>`)}
  </nav>
  <div class="who">
    <span>${shell.identity.name} <span class="badge" data-role="${shell.identity.role}">${shell.identity.role}</span></span>
    ${shell.signedIn ? html`<form method="post" action="/logout"><button type="submit">Sign out</button></form>` : html`<span class="muted">dev playground</span>`}
  </div>
</header>
<main>
  <p id="flash" class="flash" role="status" aria-live="polite"></p>
  <div id="live"${live ? html` data-events="${live.events}" data-refresh-on="${live.refreshOn.join(" ")}"${live.runId ? html` data-run-id="${live.runId}"` : ""}${live.final ? html` data-final="true"` : ""}` : ""}>
${shell.body}
  </div>
</main>
</body>
</html>`;
}

/** A status as a coloured badge (the colour is never the only signal: the word is there). */
export function badge(status: string): Html {
  return html`<span class="badge s-${status}">${status}</span>`;
}
