/**
 * The Cedar schema of what Cadre provides to every policy evaluation: the entities (agents,
 * tools, models, workflows), the actions (one per kind of effect) and the context. Policies
 * are validated against it; `cadre policy schema` prints it, to start a `policies/` folder.
 */
export const cadreSchema = `// What Cadre provides to every policy evaluation (cadre policy schema prints this).
namespace Cadre {
  // The time of the call, in UTC: for time windows.
  type Time = { epochMs: Long, hourUtc: Long, weekdayUtc: Long };

  // What every evaluation knows of the call beside its entities.
  type Call = {
    amountMicros: Long,      // the worst case held for the call, in micro-units (0 when it costs nothing)
    runId: String,
    workflow: String,
    onBehalfOf: String,      // the principal the run acts for
    goal: String,            // the run's purpose ("" when the workflow states none)
    approved: Bool,          // a person approved this call (after a policy asked for approval)
    stepKey: String,
    time: Time,
  };

  // An agent: the principal of its tool, model and sub-agent calls, the resource of a call to it.
  entity Agent = {
    name: String,
    owner: String,
    risk: String,            // minimal | limited | high
    dataAccess: String,      // none | public | internal | confidential | restricted
    clearance: Set<String>,  // the data classes it may handle: pii, financial, health, ...
    region: String,          // where it runs ("" when undeclared)
    labels: Set<String>,
    model: String,           // provider:model of a model-backed agent ("" for code agents)
  };

  // A workflow: the principal of its own agent calls and child workflows, the resource of a child workflow call.
  entity Workflow = { name: String };

  entity Tool = {
    name: String,
    scope: String,           // the permission the call needs
    resource: String,        // the resource this call touches, e.g. report/A-1001
    dataClass: String,       // public | internal | confidential | pii | financial | health | credentials
    region: String,          // where the tool sends data ("" when undeclared)
  };

  entity Model = { id: String, provider: String, region: String };

  // A call to an agent served elsewhere, or a request that is paid for (no effect kind makes them yet).
  entity Endpoint = { url: String, region: String };

  action "tool" appliesTo { principal: Agent, resource: Tool, context: Call };
  action "model" appliesTo { principal: Agent, resource: Model, context: Call };
  action "agent" appliesTo { principal: [Agent, Workflow], resource: Agent, context: Call };
  action "workflow" appliesTo { principal: Workflow, resource: Workflow, context: Call };
  action "remote-agent" appliesTo { principal: [Agent, Workflow], resource: Endpoint, context: Call };
  action "paid-request" appliesTo { principal: Agent, resource: Endpoint, context: Call };
}
`;
