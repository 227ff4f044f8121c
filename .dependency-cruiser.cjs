/**
 * Layer directions and no import circles, checked with the tests (test/architecture/layers.test.ts).
 * The layers, bottom up: store ← engine ← policy ← governance ← models ← knowledge ← agent ← interop ← workers ← workflow ← evaluation ← operator ← server ← cli.
 * telemetry/ sits beside governance: it implements engine's observer interface, and the runtime
 * (workflow/) loads it; it is the only folder that imports OpenTelemetry.
 * interop/ holds the protocol clients (MCP tools, remote A2A agents, x402 payments) an agent uses; the
 * protocol servers that expose Cadre (MCP, A2A, x402 charging) live in server/.
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
    layer("store", ["telemetry", "engine", "policy", "governance", "models", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "The store knows nothing of what it stores."),
    layer("engine", ["telemetry", "policy", "governance", "models", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "The engine (journal, leases, guards) runs any step without knowing governance."),
    layer("policy", ["telemetry", "governance", "models", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Policies are decided in Cedar's terms and Cadre's entities; the gateway consults them, never the reverse."),
    layer("governance", ["telemetry", "models", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Governance decides on effects described in its own terms."),
    layer("models", ["telemetry", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Models are the AI SDK's layer: providers, prices, calls."),
    layer("knowledge", ["telemetry", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Knowledge collections and memory (chunking, ingest, search, ranking) over the store and the models' embeddings; governed by the effects above."),
    layer("agent", ["telemetry", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Agents are defined without the workflow runtime."),
    layer("telemetry", ["policy", "governance", "models", "knowledge", "agent", "interop", "workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Telemetry observes runs through engine's observer interface and knows nothing else."),
    layer("interop", ["workers", "workflow", "evaluation", "operator", "server", "cli", "testing"], "Protocol clients (MCP, A2A, x402) turn remote tools, agents and paid resources into Cadre tools and agents; the effects above govern them."),
    layer("workers", ["workflow", "evaluation", "operator", "server", "cli", "testing"], "Workers move run tickets between processes (pg-boss) and keep the worker registry; they know run ids and queues, not workflows."),
    layer("workflow", ["evaluation", "operator", "server", "cli", "testing"], "Workflows run without the operator or the CLI."),
    layer("evaluation", ["operator", "server", "cli", "testing"], "Evaluations run workflows and score them; the operator reads what they stored."),
    layer("operator", ["server", "cli", "testing"], "The operator API serves the CLI and the server, never the reverse."),
    layer("server", ["cli", "testing"], "The HTTP server sits on the operator API and the runtime; the CLI starts it, never the reverse."),
    {
      name: "opentelemetry-only-in-telemetry",
      comment: "OpenTelemetry is optional: only telemetry/ imports it, and the runtime loads that folder only when telemetry is on.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/telemetry/" },
      to: { path: "node_modules/@opentelemetry/" },
    },
    {
      name: "protocol-sdks-only-in-interop-and-server",
      comment: "MCP, A2A and x402 SDKs (and the Express the A2A SDK needs) appear only where the protocols are spoken.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(interop|server|cli)/" },
      to: { path: "node_modules/(@modelcontextprotocol|@a2a-js|@x402|express)/" },
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
