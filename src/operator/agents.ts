import { recordReview, setAgentStatus } from "../governance/admin.ts";
import { requireAgent } from "../governance/inventory.ts";
import { listInventory, type InventoryRow } from "../governance/reports.ts";
import { adminContext, type OperatorContext } from "./operator-context.ts";

/** The agent inventory, and the decisions on an agent: revoke, restore, review. Each decision is audited. */
export class AgentOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Every agent with owner, risk, data access, status, breaker, reviews and spend. */
  list(): Promise<InventoryRow[]> {
    return listInventory(this.#context.store.db, this.#context.now());
  }

  /** One agent's inventory row; UNKNOWN_AGENT (listing the known names) when there is none. */
  async get(name: string): Promise<InventoryRow> {
    await this.require(name);
    return (await this.list()).find((row) => row.name === name)!;
  }

  /** Its next gateway call is refused, in every run. */
  async revoke(name: string, options: { reason?: string } = {}): Promise<InventoryRow> {
    await setAgentStatus(adminContext(this.#context), { agent: name, status: "revoked", reason: options.reason });
    return this.get(name);
  }

  async restore(name: string): Promise<InventoryRow> {
    await setAgentStatus(adminContext(this.#context), { agent: name, status: "active" });
    return this.get(name);
  }

  /** Records a review: the next one falls due after the agent's review cadence. */
  async review(name: string, options: { note?: string } = {}): Promise<InventoryRow> {
    await recordReview(adminContext(this.#context), { agent: name, note: options.note });
    return this.get(name);
  }

  /** Throws UNKNOWN_AGENT, listing the known names, unless the agent is in the inventory. */
  require(name: string): Promise<void> {
    return requireAgent(this.#context.store, name);
  }
}
