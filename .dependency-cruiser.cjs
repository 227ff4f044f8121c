/**
 * Layer directions and no import circles, checked with the tests (test/architecture/layers.test.ts).
 * The layers, bottom up: store ← engine ← governance ← models ← agent ← workers ← workflow ← evaluation ← operator ← cli.
 * telemetry/ sits beside governance: it implements engine's observer interface, and the runtime
 * (workflow/) loads it; it is the only folder that imports OpenTelemetry.
 */
const layer = (name, mayNotImport, comment) => ({
  name: `${name}-imports-down`,
  comment,
  severity: "error",
  from: { path: `^src/${name}/` },
  to: { path: `^src/(${mayNotImport.join("|")})/` },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import circles make module order matter and hide which module depends on which. Interfaces that name each other (a context and the patterns it offers) may refer to each other's types: type-only edges are erased at run time.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    layer("store", ["telemetry", "engine", "governance", "models", "agent", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "The store knows nothing of what it stores."),
    layer("engine", ["telemetry", "governance", "models", "agent", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "The engine (journal, leases, guards) runs any step without knowing governance."),
    layer("governance", ["telemetry", "models", "agent", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "Governance decides on effects described in its own terms."),
    layer("models", ["telemetry", "agent", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "Models are the AI SDK's layer: providers, prices, calls."),
    layer("agent", ["telemetry", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "Agents are defined without the workflow runtime."),
    layer("telemetry", ["governance", "models", "agent", "workers", "workflow", "evaluation", "operator", "cli", "testing"], "Telemetry observes runs through engine's observer interface and knows nothing else."),
    layer("workers", ["workflow", "evaluation", "operator", "cli", "testing"], "Workers move run tickets between processes (pg-boss) and keep the worker registry; they know run ids and queues, not workflows."),
    layer("workflow", ["evaluation", "operator", "cli", "testing"], "Workflows run without the operator or the CLI."),
    layer("evaluation", ["operator", "cli", "testing"], "Evaluations run workflows and score them; the operator reads what they stored."),
    layer("operator", ["cli", "testing"], "The operator API serves the CLI and the server, never the reverse."),
    {
      name: "opentelemetry-only-in-telemetry",
      comment: "OpenTelemetry is optional: only telemetry/ imports it, and the runtime loads that folder only when telemetry is on.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/telemetry/" },
      to: { path: "node_modules/@opentelemetry/" },
    },
    {
      name: "ai-sdk-only-in-models",
      comment: "A provider SDK appears only in its own folder.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(models|testing)/" },
      to: { path: "node_modules/(ai|@ai-sdk)/" },
      // Types from the provider spec are allowed in the agent contract only through models/.
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JavaScript API yet; swc parses the sources instead.
    parser: "swc",
    exclude: { path: "^src/.*\\.d\\.ts$" },
  },
};
