/** The dashboard's one stylesheet: system fonts, readable at 1280×800, a visible focus ring. */
export const dashboardCss = `
:root { --ink: #1d2430; --muted: #5b6677; --line: #d9dee6; --bg: #f6f7f9; --card: #fff; --accent: #2557c7;
  --ok: #1b7f4b; --warn: #a15c00; --bad: #b3261e; --wait: #6a3fb5; --bar: #6d8fd8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #16202e; color: #fff; }
header.top .brand { font-weight: 700; letter-spacing: .5px; color: #fff; text-decoration: none; }
header.top nav { display: flex; gap: 4px; flex: 1; }
header.top nav a { color: #cfd8e6; text-decoration: none; padding: 6px 10px; border-radius: 4px; }
header.top nav a[aria-current="page"] { background: #2d3b50; color: #fff; }
header.top .who { color: #cfd8e6; display: flex; gap: 10px; align-items: center; }
header.top .who form { margin: 0; }
main { max-width: 1240px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 8px 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f0f2f5; padding: 8px; border-radius: 4px; overflow: auto; max-height: 240px; margin: 4px 0; white-space: pre-wrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e7eaf0; color: var(--muted); }
.s-completed { background: #e2f4ea; color: var(--ok); }
.s-running, .s-started { background: #e3ebfb; color: var(--accent); }
.s-waiting { background: #efe6fb; color: var(--wait); }
.s-failed, .s-revoked, .s-overdue, .s-open { background: #fbe5e3; color: var(--bad); }
.s-partial, .s-interrupted, .s-cancelled, .s-half-open { background: #fdf0dc; color: var(--warn); }
.s-active, .s-closed { background: #e2f4ea; color: var(--ok); }
button, .button { font: inherit; padding: 5px 12px; border-radius: 4px; border: 1px solid #9aa7ba; background: #fff; color: var(--ink); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { border-color: var(--bad); color: var(--bad); }
button[disabled] { opacity: .5; cursor: progress; }
input, select, textarea { font: inherit; padding: 4px 8px; border: 1px solid #9aa7ba; border-radius: 4px; background: #fff; }
form.filters { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin-bottom: 12px; }
form.filters label, .field { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
.flash { min-height: 1.5em; margin: 0 0 8px; }
.flash.error { color: var(--bad); }
.flash.ok { color: var(--ok); }
.muted { color: var(--muted); }
.facts { display: flex; gap: 28px; flex-wrap: wrap; margin: 0; }
.facts div { display: flex; flex-direction: column; }
.facts dt { font-size: 12px; color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; }
.pager { display: flex; gap: 12px; margin-top: 8px; }
.waterfall td.bar { width: 300px; min-width: 200px; }
.waterfall .label { max-width: 460px; }
.waterfall .step-error { font-size: 12px; margin-top: 2px; }
.waterfall th { white-space: nowrap; }
.waterfall tr.child-run td { background: #f7f4fc; }
.chart { display: block; max-width: 100%; height: auto; }
.chart text { font-size: 12px; fill: var(--ink); }
.chart .axis { stroke: var(--line); }
.chart-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.answer pre { max-height: 320px; }
code.data { word-break: break-all; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.login { max-width: 420px; margin: 80px auto; }
.actions { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
`;
