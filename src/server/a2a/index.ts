export { mountA2A, type A2AMountOptions } from "./mount.ts";
export { deploymentCard, targetCard, a2aProtocolVersion } from "./agent-cards.ts";
