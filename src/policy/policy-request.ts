/** The kinds of effect a policy can name: `Cadre::Action::"tool"` and so on. */
export type PolicyAction = "tool" | "model" | "agent" | "workflow" | "remote-agent" | "paid-request";

/** What a policy knows of an agent; agent definitions satisfy it. */
export interface PolicyAgentFacts {
  name: string;
  owner?: string;
  risk?: string;
  dataAccess?: string;
  clearance?: readonly string[];
  region?: string;
  labels?: readonly string[];
  /** provider:model of a model-backed agent. */
  modelVersion?: string;
}

/** An entity of a request, described in Cadre's terms. */
export type PolicyEntity =
  | { type: "Agent"; agent: PolicyAgentFacts }
  | { type: "Workflow"; name: string }
  | { type: "Tool"; name: string; scope: string; resource: string; dataClass?: string; region?: string }
  | { type: "Model"; id: string; provider: string; region?: string }
  | { type: "Endpoint"; url: string; region?: string };

/** What each kind of effect declares for policy: what it does, who does it, to what. */
export interface PolicyTarget {
  action: PolicyAction;
  principal: PolicyEntity;
  resource: PolicyEntity;
  /** The most an unpriced effect may spend (an agent call's or child run's funding); priced effects use their worst case. */
  amountMicros?: number;
}

/** The facts of the call the gateway adds: its run, its worst case, the time, whether a person approved it. */
export interface PolicyCallFacts {
  amountMicros: number;
  runId: string;
  workflow: string;
  onBehalfOf: string;
  goal: string | null;
  approved: boolean;
  stepKey: string;
  now: number;
}

interface EntityUid {
  type: string;
  id: string;
}

/** A request in the JSON form the Cedar engine takes. */
export interface CedarRequest {
  principal: EntityUid;
  action: EntityUid;
  resource: EntityUid;
  context: Record<string, unknown>;
  entities: Array<{ uid: EntityUid; attrs: Record<string, unknown>; parents: [] }>;
}

const uidOf = (entity: PolicyEntity): EntityUid => {
  switch (entity.type) {
    case "Agent":
      return { type: "Cadre::Agent", id: entity.agent.name };
    case "Workflow":
      return { type: "Cadre::Workflow", id: entity.name };
    case "Tool":
      return { type: "Cadre::Tool", id: entity.name };
    case "Model":
      return { type: "Cadre::Model", id: entity.id };
    case "Endpoint":
      return { type: "Cadre::Endpoint", id: entity.url };
  }
};

/** The attributes the schema declares, with "" or empty sets for what a definition leaves undeclared. */
function attributesOf(entity: PolicyEntity): Record<string, unknown> {
  switch (entity.type) {
    case "Agent": {
      const { agent } = entity;
      return {
        name: agent.name,
        owner: agent.owner ?? "",
        risk: agent.risk ?? "minimal",
        dataAccess: agent.dataAccess ?? "none",
        clearance: [...(agent.clearance ?? [])],
        region: agent.region ?? "",
        labels: [...(agent.labels ?? [])],
        model: agent.modelVersion ?? "",
      };
    }
    case "Workflow":
      return { name: entity.name };
    case "Tool":
      return { name: entity.name, scope: entity.scope, resource: entity.resource, dataClass: entity.dataClass ?? "", region: entity.region ?? "" };
    case "Model":
      return { id: entity.id, provider: entity.provider, region: entity.region ?? "" };
    case "Endpoint":
      return { url: entity.url, region: entity.region ?? "" };
  }
}

const hourMs = 3_600_000;

function contextOf(call: PolicyCallFacts): Record<string, unknown> {
  const date = new Date(call.now);
  return {
    amountMicros: call.amountMicros,
    runId: call.runId,
    workflow: call.workflow,
    onBehalfOf: call.onBehalfOf,
    goal: call.goal ?? "",
    approved: call.approved,
    stepKey: call.stepKey,
    time: { epochMs: call.now, hourUtc: Math.floor((call.now % 86_400_000) / hourMs), weekdayUtc: date.getUTCDay() },
  };
}

/** Keeps the attributes some policy reads: the rest cannot change the decision but cost time to send. */
function pick(attributes: Record<string, unknown>, read: ReadonlySet<string> | "all"): Record<string, unknown> {
  if (read === "all") return attributes;
  const kept: Record<string, unknown> = {};
  for (const name in attributes) if (read.has(name)) kept[name] = attributes[name];
  return kept;
}

/** The Cedar request for a target and its call: principal, action, resource, context and the two entities. */
export function cedarRequest(target: PolicyTarget, call: PolicyCallFacts, read: ReadonlySet<string> | "all" = "all"): CedarRequest {
  const principal = uidOf(target.principal);
  const resource = uidOf(target.resource);
  const entities: CedarRequest["entities"] = [{ uid: principal, attrs: pick(attributesOf(target.principal), read), parents: [] }];
  if (principal.type !== resource.type || principal.id !== resource.id) entities.push({ uid: resource, attrs: pick(attributesOf(target.resource), read), parents: [] });
  const context = pick(contextOf(call), read);
  // The time's fields too: a policy on the hour should not make every millisecond a new request.
  if (context.time && read !== "all") context.time = pick(context.time as Record<string, unknown>, read);
  return { principal, action: { type: "Cadre::Action", id: target.action }, resource, context, entities };
}

/** How a decision names what was asked, for messages and records: the resource's name. */
export function describeEntity(entity: PolicyEntity): string {
  switch (entity.type) {
    case "Agent":
      return entity.agent.name;
    case "Workflow":
      return entity.name;
    case "Tool":
      return entity.resource === entity.name ? entity.name : `${entity.name} (${entity.resource})`;
    case "Model":
      return entity.id;
    case "Endpoint":
      return entity.url;
  }
}
