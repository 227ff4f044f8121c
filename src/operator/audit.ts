import { checkpointAudit, type CheckpointOutcome } from "../governance/audit-checkpoints.ts";
import { InputValidationError } from "../errors.ts";
import { readAuditPage, readAuditRows, toAuditRecord, type AuditFilter, type AuditRecord } from "../governance/audit-log.ts";
import type { AuditSigner, AuditSigningOptions, AuditVerifier } from "../governance/audit-signing-key.ts";
import { verifyAudit, type AuditReport } from "../governance/audit-verify.ts";
import type { OperatorContext } from "./operator-context.ts";
import { checkPageSize, type Page } from "./page.ts";

export type { AuditFilter } from "../governance/audit-log.ts";

export interface AuditListOptions extends AuditFilter {
  /** Page size (default 50, at most 1000). */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** The hash-chained audit log: verify it, export it, anchor its head in a signed checkpoint. */
export class AuditOperations {
  readonly #context: OperatorContext;

  constructor(context: OperatorContext) {
    this.#context = context;
  }

  /** Walks every link and checks every checkpoint (signatures with `verifiers`; an outside `checkpointFile` too). */
  verify(options: { verifiers?: readonly AuditVerifier[]; checkpointFile?: string } = {}): Promise<AuditReport> {
    return verifyAudit(this.#context.store.db, options);
  }

  /** Records newest first, a page at a time, filtered by run, kind, agent, principal or time. */
  async list(options: AuditListOptions = {}): Promise<Page<AuditRecord>> {
    const limit = checkPageSize(options.limit ?? 50);
    const { cursor, limit: _limit, ...filter } = options;
    const records = await readAuditPage(this.#context.store.db, { ...filter, beforeSeq: cursor === undefined ? undefined : decodeSeqCursor(cursor), limit: limit + 1 });
    const items = records.slice(0, limit);
    return { items, nextCursor: records.length > limit ? Buffer.from(String(items.at(-1)!.seq)).toString("base64url") : null };
  }

  /** Every record in chain order (hashes included), of one run with `runId`, read a page at a time. */
  async *export(options: { runId?: string } = {}): AsyncGenerator<AuditRecord> {
    for await (const row of readAuditRows(this.#context.store.db, options)) yield toAuditRecord(row);
  }

  /** Signs the chain's current head; null when the log is empty. */
  checkpoint(signer: AuditSigner | AuditSigningOptions = {}): Promise<CheckpointOutcome | null> {
    return checkpointAudit(this.#context.store, signer, { now: () => this.#context.now() });
  }
}

function decodeSeqCursor(cursor: string): number {
  const seq = Number(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!Number.isSafeInteger(seq) || seq < 1) throw new InputValidationError({ message: `The cursor "${cursor}" is not one this API returned; pass the nextCursor of the previous page.`, cursor });
  return seq;
}
