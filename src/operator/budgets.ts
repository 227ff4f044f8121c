import { InputValidationError } from "../errors.ts";
import { fundBudget } from "../governance/admin.ts";
import { listAccounts, spendReport, type AccountSummary, type SpendGrouping, type SpendRow } from "../governance/reports.ts";
import { adminContext, type OperatorContext } from "./operator-context.ts";

export const spendGroupings: readonly SpendGrouping[] = ["agent", "tool", "model", "run", "day"];

export interface FundOptions {
  /** Integer micro-units (1 USD = 1,000,000). */
  amountMicros: number;
  /** Allocate the deposit to this workflow's account. */
  workflow?: string;
  /** Give the deposit to this unfinished run (raises its budget). */
  runId?: string;
  /** Recorded on the deposit (default: who deposited). */
  note?: string;
}

/** A deposit made, with the accounts it touched: the run's with `runId`, else the treasury, workflow and cap accounts. */
export interface FundResult {
  fundedMicros: number;
  workflow: string | null;
  runId: string | null;
  accounts: AccountSummary[];
}

export interface SpendOptions {
  by: SpendGrouping;
  /** Only this run and, unless `includeChildRuns` is false, its child runs. */
  runId?: string;
  agent?: string;
  includeChildRuns?: boolean;
}

/** Money: accounts and their balances, deposits (audited), and where the money went. */
export class BudgetOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** A run's accounts with `runId`; otherwise the treasury, workflow and cap accounts. */
  accounts(options: { runId?: string } = {}): Promise<AccountSummary[]> {
    return listAccounts(this.#context.store.db, options);
  }

  /**
   * Deposits into the treasury and, with `workflow`, allocates it to that workflow, or with
   * `runId` gives it to one unfinished run. Audited as `budget.funded`. UNKNOWN_RUN for an
   * unknown run, RUN_NOT_RESUMABLE for one that ended.
   */
  async fund(options: FundOptions): Promise<FundResult> {
    if (!Number.isSafeInteger(options.amountMicros) || options.amountMicros < 1) {
      throw new InputValidationError({ message: `A deposit is a positive integer of micro-units; got ${options.amountMicros}.`, amountMicros: options.amountMicros });
    }
    if (options.workflow !== undefined && options.runId !== undefined) throw new InputValidationError({ message: "A deposit goes to one place: a workflow or a run, not both.", workflow: options.workflow, runId: options.runId });
    await fundBudget(adminContext(this.#context), { amount: options.amountMicros, workflow: options.workflow, runId: options.runId, note: options.note });
    return { fundedMicros: options.amountMicros, workflow: options.workflow ?? null, runId: options.runId ?? null, accounts: await this.accounts({ runId: options.runId }) };
  }

  /** Charges grouped by agent, tool, model, run or day, with model tokens: model and tool groupings count only those charges. */
  spend(options: SpendOptions): Promise<SpendRow[]> {
    if (!spendGroupings.includes(options.by)) throw new InputValidationError({ message: `Spend is grouped by ${spendGroupings.join(", ")}; got "${options.by}".`, by: options.by });
    return spendReport(this.#context.store.db, options);
  }
}
