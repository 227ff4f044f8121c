import { checkpointAudit, type CheckpointOutcome } from "../governance/audit-checkpoints.ts";
import { readAuditRows, toAuditRecord, type AuditRecord } from "../governance/audit-log.ts";
import type { AuditSigner, AuditSigningOptions, AuditVerifier } from "../governance/audit-signing-key.ts";
import { verifyAudit, type AuditReport } from "../governance/audit-verify.ts";
import type { OperatorContext } from "./operator-context.ts";

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

  /** Every record in chain order (hashes included), of one run with `runId`, read a page at a time. */
  async *export(options: { runId?: string } = {}): AsyncGenerator<AuditRecord> {
    for await (const row of readAuditRows(this.#context.store.db, options)) yield toAuditRecord(row);
  }

  /** Signs the chain's current head; null when the log is empty. */
  checkpoint(signer: AuditSigner | AuditSigningOptions = {}): Promise<CheckpointOutcome | null> {
    return checkpointAudit(this.#context.store, signer, { now: () => this.#context.now() });
  }
}
