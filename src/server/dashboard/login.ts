import { html } from "hono/html";
import type { Html } from "./layout.ts";

/** The sign-in page: one field for an operator key, posted to /login (never put in a URL). */
export function loginPage(message?: string): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · Cadre</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body>
<main class="login">
  <form class="card" method="post" action="/login">
    <h1>Cadre</h1>
    <p>Sign in with your operator key. Create one with <code>cadre keys create --operator &lt;name&gt; --role viewer</code>.</p>
    ${message ? html`<p class="flash error" role="alert" id="login-error">${message}</p>` : ""}
    <p class="field"><label for="key">Operator key</label><input id="key" name="key" type="password" autocomplete="current-password" required autofocus size="40"></p>
    <p><button type="submit" class="primary">Sign in</button></p>
  </form>
</main>
</body>
</html>`;
}
