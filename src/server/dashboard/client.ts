/**
 * The dashboard's only client code, served as /assets/dashboard.js: plain ES2020, no bundler,
 * no dependency. It does three things, driven by data attributes the server renders:
 * - live pages (`#live[data-events]`): follows an SSE stream and re-reads the page's
 *   server-rendered fragment when an event it cares about arrives; appends streamed model text;
 * - actions (`button[data-api]`): calls the JSON API and reports the answer in `#flash`;
 * - the start-a-run form (`form[data-start-run]`).
 * The key never reaches this code: the browser sends the HttpOnly cookie itself.
 * (A string, not a .js file: the package ships what tsc emits, and tests run the sources.)
 */
export const dashboardScript = String.raw`"use strict";
(function () {
  var finalStatuses = ["completed", "partial", "failed", "cancelled"];
  var live = document.getElementById("live");
  var flash = document.getElementById("flash");
  var refreshing = null;
  var again = false;
  var lastHtml = null;

  function say(text, kind) {
    if (!flash) return;
    flash.textContent = text;
    flash.className = "flash " + (kind || "");
  }

  // Re-reads this page's fragment and swaps it in, keeping the focused control focused.
  function refresh() {
    if (!live) return Promise.resolve();
    if (refreshing) { again = true; return refreshing; }
    var focused = document.activeElement && document.activeElement.id;
    refreshing = fetch(location.pathname + location.search, { headers: { "x-cadre-fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { location.href = "/login"; return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (text) {
        // Nothing changed: leave the page alone (focus, selection and typing stay as they are).
        if (text === null || text === lastHtml) return;
        lastHtml = text;
        // What the person typed, and the streamed model text, live only in this page: keep them across the swap.
        var typed = {};
        live.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (field) { typed[field.id] = field.value; });
        var streamed = document.getElementById("answers");
        live.innerHTML = text;
        Object.keys(typed).forEach(function (id) { var field = document.getElementById(id); if (field) field.value = typed[id]; });
        if (streamed && streamed.dataset.streamed === "true") {
          var fresh = document.getElementById("answers");
          if (fresh) fresh.replaceWith(streamed);
        }
        if (focused) { var again2 = document.getElementById(focused); if (again2) again2.focus(); }
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || "0") + 1);
      })
      .catch(function () {})
      .then(function () {
        refreshing = null;
        if (again) { again = false; refresh(); }
      });
    return refreshing;
  }

  function appendDelta(event) {
    var answers = document.getElementById("answers");
    if (!answers) return;
    var id = "answer-" + (event.stepKey || "model") + "-" + (event.data.attempt || 1);
    var pre = document.getElementById(id);
    if (!pre) {
      var heading = document.createElement("h3");
      heading.textContent = (event.data.agent || "model") + " · " + (event.stepKey || "") + (event.data.attempt > 1 ? " · attempt " + event.data.attempt : "");
      pre = document.createElement("pre");
      pre.id = id;
      answers.appendChild(heading);
      answers.appendChild(pre);
      var empty = document.getElementById("answers-empty");
      if (empty) empty.remove();
    }
    pre.textContent += String(event.data.text || "");
    answers.dataset.streamed = "true";
  }

  function follow() {
    if (!live || !live.dataset.events || live.dataset.final === "true") return;
    var types = (live.dataset.refreshOn || "").split(" ").filter(Boolean);
    var rootRun = live.dataset.runId;
    var source = new EventSource(live.dataset.events, { withCredentials: true });
    document.body.dataset.stream = "connecting";
    source.onopen = function () {
      document.body.dataset.stream = "open";
      // Whatever happened between rendering the page and opening the stream.
      refresh();
    };
    source.onerror = function () {
      if (document.body.dataset.stream !== "closed") document.body.dataset.stream = "reconnecting";
    };
    function handle(message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event.type === "model-delta") { appendDelta(event); return; }
      var last = rootRun && event.type === "run-end" && event.runId === rootRun && finalStatuses.indexOf(String(event.data.status)) !== -1;
      if (last) {
        // The run's stream ends here; EventSource would reconnect and replay it.
        source.close();
        refresh().then(function () { document.body.dataset.stream = "closed"; });
        return;
      }
      if (types.indexOf(event.type) !== -1) refresh();
    }
    ["run-start", "run-end", "step-start", "step-end", "wait-start", "wait", "approval-decided", "model-delta"].forEach(function (type) {
      source.addEventListener(type, handle);
    });
    source.addEventListener("replay-gap", function () { refresh(); });
  }

  function describe(result, kind) {
    if (kind === "verify") {
      return result.ok
        ? "Verified: the chain is intact (" + result.records + " records, " + result.checkpoints + " checkpoints, " + result.unanchored + " after the last checkpoint)."
        : "Verification FAILED: " + result.problemCount + " problem(s) in " + result.records + " records.";
    }
    return "Done.";
  }

  function callApi(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin", headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : JSON.stringify(body || {}) })
      .then(function (response) {
        return response.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (error) { parsed = null; }
          if (!response.ok) {
            var problem = parsed && parsed.error ? parsed.error.code + ": " + parsed.error.message : "HTTP " + response.status;
            throw new Error(problem);
          }
          return parsed;
        });
      });
  }

  document.addEventListener("click", function (click) {
    var button = click.target instanceof Element ? click.target.closest("button[data-api]") : null;
    if (!button) return;
    click.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    var body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
    if (button.dataset.note) {
      var note = document.getElementById(button.dataset.note);
      if (note && note.value.trim() !== "") body.note = note.value.trim();
    }
    button.disabled = true;
    say("Working…");
    callApi(button.dataset.method || "POST", button.dataset.api, body)
      .then(function (result) {
        var message = button.dataset.done || describe(result, button.dataset.show);
        say(message, result && result.ok === false ? "error" : "ok");
        if (button.dataset.show) {
          var target = document.getElementById(button.dataset.show + "-result");
          if (target) { target.textContent = JSON.stringify(result, null, 2); target.hidden = false; }
        }
        button.disabled = false;
        if (!button.dataset.show) return refresh();
      })
      .catch(function (error) {
        say(error.message, "error");
        button.disabled = false;
      });
  });

  document.addEventListener("submit", function (submit) {
    var form = submit.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-start-run")) return;
    submit.preventDefault();
    var input;
    try { input = JSON.parse(form.elements.namedItem("input").value || "{}"); }
    catch (error) { say("The input is not valid JSON: " + error.message, "error"); return; }
    var workflow = form.elements.namedItem("workflow").value;
    say("Starting " + workflow + "…");
    callApi("POST", "/api/runs", { workflow: workflow, input: input })
      .then(function (started) { location.href = "/runs/" + encodeURIComponent(started.runId); })
      .catch(function (error) { say(error.message, "error"); });
  });

  follow();
})();
`;
