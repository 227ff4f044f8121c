import { createHash } from "node:crypto";
import { AgentCard, type AgentSkill } from "@a2a-js/sdk";
import { z } from "zod";
import { definitionHash } from "../../governance/inventory.ts";
import type { ExposedTarget } from "../../workflow/exposure.ts";

/** The A2A protocol version Cadre's server speaks (`A2A-Version` header); others are refused. */
export const a2aProtocolVersion = "1.0";

/** The path of a target's JSON-RPC endpoint; its card is at `<path>/.well-known/agent-card.json`. */
export const targetPath = (name: string) => `/a2a/${name}`;

const inputModes = ["application/json", "text/plain"];
const outputModes = ["application/json", "text/plain"];

/**
 * What a card says of a target's version: its definition, hashed. An agent's is its inventory
 * hash; a workflow's covers its name, schemas and code, so a changed workflow gets a new version.
 */
export function targetVersion(target: ExposedTarget): string {
  if (target.agent) return definitionHash(target.agent);
  const schema = (type: z.ZodType, io: "input" | "output") => {
    try {
      return z.toJSONSchema(type, { io, unrepresentable: "any" });
    } catch {
      return null;
    }
  };
  const described = { name: target.workflow.name, input: schema(target.workflow.input, "input"), output: schema(target.workflow.output, "output"), code: target.workflow.run.toString() };
  return createHash("sha256").update(JSON.stringify(described)).digest("hex").slice(0, 16);
}

export function skillOf(target: ExposedTarget): AgentSkill {
  return {
    id: target.name,
    name: target.name,
    description: target.description,
    tags: [target.kind, ...(target.price > 0 ? ["paid"] : [])],
    examples: [],
    inputModes,
    outputModes,
    securityRequirements: [],
  };
}

function card(options: { name: string; description: string; url: string; origin: string; version: string; skills: AgentSkill[] }): AgentCard {
  return {
    name: options.name,
    description: options.description,
    supportedInterfaces: [{ url: options.url, protocolBinding: "JSONRPC", tenant: "", protocolVersion: a2aProtocolVersion }],
    provider: { organization: "Cadre", url: options.origin },
    version: options.version,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      bearer: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: { scheme: "Bearer", bearerFormat: "", description: "An operator key (cadre keys create --operator <name> --role operator) or an agent credential (cadre keys create <agent>) whose agent holds a grant for expose:<name>." },
        },
      },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: inputModes,
    defaultOutputModes: outputModes,
    skills: options.skills,
    signatures: [],
  };
}

/** The card of one exposed target: one skill, served at `/a2a/<name>/.well-known/agent-card.json`. */
export function targetCard(target: ExposedTarget, origin: string): AgentCard {
  return card({ name: target.name, description: target.description, url: `${origin}${targetPath(target.name)}`, origin, version: targetVersion(target), skills: [skillOf(target)] });
}

/** The deployment's card: every target offered over A2A as a skill of the endpoint `/a2a`, which routes by skill id. */
export function deploymentCard(targets: readonly ExposedTarget[], origin: string): AgentCard {
  const version = createHash("sha256").update(targets.map((target) => `${target.name}@${targetVersion(target)}`).join(",")).digest("hex").slice(0, 16);
  return card({
    name: "cadre",
    description: `A Cadre deployment offering ${targets.map((target) => target.name).join(", ") || "nothing"} over A2A. Name the skill in the message's metadata ("skill": "<id>") when there are several.`,
    url: `${origin}/a2a`,
    origin,
    version,
    skills: targets.map(skillOf),
  });
}

/** A card as JSON on the wire (the SDK's own serialization, which its resolver reads back). */
export const cardJson = (value: AgentCard) => AgentCard.toJSON(value);
