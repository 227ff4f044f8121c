import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { InputValidationError } from "../errors.ts";
import type { Db } from "../store/store.ts";
import { checkpointSignatureProblem, toAuditCheckpoint, type AuditCheckpoint } from "./audit-checkpoints.ts";
import { lastAuditSeq, readAuditHead, verifyAuditChain } from "./audit-log.ts";
import type { AuditVerifier } from "./audit-signing-key.ts";

/** One thing wrong with the audit trail; `brokenAt` is the record it concerns, when there is one. */
export interface AuditProblem {
  brokenAt?: number;
  reason: string;
}

/** What `verifyAudit` found: the chain, its signed checkpoints, and how much of it no checkpoint covers yet. */
export interface AuditReport {
  ok: boolean;
  records: number;
  /** Hash of the chain's last record (null when the log is empty or does not verify). */
  head: string | null;
  /** Checkpoints in the store. */
  checkpoints: number;
  /** Checkpoints in the outside checkpoint file (0 when none was given). */
  outsideCheckpoints: number;
  /** The newest checkpointed record in either (0 when there is no checkpoint). */
  latestCheckpoint: number;
  /** Records after the newest checkpoint: not wrong, just not anchored yet. */
  unanchored: number;
  /** False when no public key was available: checkpoints were then checked against the log only. */
  signaturesChecked: boolean;
  keyIds: string[];
  /** The first problems found (at most 20 are listed; `problemCount` counts them all). */
  problems: AuditProblem[];
  problemCount: number;
  /** The first problem's record and reason, as `verifyAuditChain` names them. */
  brokenAt?: number;
  reason?: string;
}

const listedProblems = 20;

/**
 * Verifies the audit trail: the hash chain (see `verifyAuditChain`), then every checkpoint in
 * the store and in the outside checkpoint file: its signature (with `verifiers`) and that the
 * chain passes through it (the record at its seq has exactly its hash). A checkpoint beyond the
 * last record means the tail was truncated; a missing head row while checkpoints exist means it
 * was deleted. Records after the newest checkpoint are counted as unanchored, not failed.
 */
export async function verifyAudit(db: Db, options: { verifiers?: readonly AuditVerifier[]; checkpointFile?: string; pageSize?: number } = {}): Promise<AuditReport> {
  const verifiers = options.verifiers ?? [];
  const pageSize = options.pageSize ?? 1000;
  const chain = await verifyAuditChain(db, { pageSize });
  const problems: AuditProblem[] = chain.ok ? [] : [{ brokenAt: chain.brokenAt, reason: chain.reason }];
  const checker = new CheckpointChecker(db, verifiers, await lastAuditSeq(db), problems);
  let checkpoints = 0;
  for await (const page of storeCheckpointPages(db, pageSize)) checkpoints += await checker.check(page, "the store");
  let outsideCheckpoints = 0;
  if (options.checkpointFile !== undefined) {
    for await (const page of fileCheckpointPages(options.checkpointFile, pageSize, problems)) outsideCheckpoints += await checker.check(page, options.checkpointFile);
  }
  const anyCheckpoint = checkpoints + outsideCheckpoints > 0;
  if (anyCheckpoint && !(await readAuditHead(db))) problems.push({ brokenAt: 1, reason: "the chain head (audit_head in cadre_meta) is missing while signed checkpoints exist: the log was emptied or its head deleted" });
  const first = problems[0];
  return {
    ok: problems.length === 0,
    records: chain.records,
    head: chain.ok && chain.records > 0 ? chain.head : null,
    checkpoints,
    outsideCheckpoints,
    latestCheckpoint: checker.latest,
    unanchored: Math.max(0, checker.lastSeq - checker.latest),
    signaturesChecked: verifiers.length > 0,
    keyIds: verifiers.map((verifier) => verifier.keyId),
    problems: problems.slice(0, listedProblems),
    problemCount: problems.length,
    ...(first ? { brokenAt: first.brokenAt ?? checker.lastSeq + 1, reason: first.reason } : {}),
  };
}

/** Checks checkpoints a page at a time: one lookup of the records they name per page. */
class CheckpointChecker {
  latest = 0;
  readonly lastSeq: number;
  readonly #db: Db;
  readonly #verifiers: readonly AuditVerifier[];
  readonly #problems: AuditProblem[];

  constructor(db: Db, verifiers: readonly AuditVerifier[], lastSeq: number, problems: AuditProblem[]) {
    this.#db = db;
    this.lastSeq = lastSeq;
    this.#verifiers = verifiers;
    this.#problems = problems;
  }

  /** Checks one page and returns how many checkpoints it held. */
  async check(page: AuditCheckpoint[], source: string): Promise<number> {
    if (page.length === 0) return 0;
    const rows = await this.#db.selectFrom("audit_log").select(["seq", "hash"]).where("seq", "in", page.map((checkpoint) => checkpoint.seq)).execute();
    const recorded = new Map(rows.map((row) => [Number(row.seq), row.hash]));
    for (const checkpoint of page) {
      this.latest = Math.max(this.latest, checkpoint.seq);
      const signatureProblem = this.#verifiers.length > 0 ? checkpointSignatureProblem(checkpoint, this.#verifiers) : null;
      if (signatureProblem) this.#problems.push({ brokenAt: checkpoint.seq, reason: `the checkpoint of record ${checkpoint.seq} in ${source} ${signatureProblem}` });
      const hash = recorded.get(checkpoint.seq);
      if (hash === undefined && checkpoint.seq > this.lastSeq) {
        this.#problems.push({ brokenAt: this.lastSeq + 1, reason: `the log ends at record ${this.lastSeq} but ${source} holds a signed checkpoint of record ${checkpoint.seq}: the tail was truncated` });
      } else if (hash === undefined) {
        this.#problems.push({ brokenAt: checkpoint.seq, reason: `record ${checkpoint.seq} is missing but ${source} holds a signed checkpoint of it` });
      } else if (hash !== checkpoint.hash) {
        this.#problems.push({ brokenAt: checkpoint.seq, reason: `record ${checkpoint.seq} does not have the hash its signed checkpoint in ${source} holds: the log was rewritten` });
      }
    }
    return page.length;
  }
}

async function* storeCheckpointPages(db: Db, pageSize: number): AsyncGenerator<AuditCheckpoint[]> {
  let after = 0;
  for (;;) {
    const page = (await db.selectFrom("audit_checkpoints").selectAll().where("seq", ">", after).orderBy("seq").limit(pageSize).execute()).map(toAuditCheckpoint);
    yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}

/** The checkpoints of a JSON-lines file, a page at a time; unreadable lines become problems. */
async function* fileCheckpointPages(path: string, pageSize: number, problems: AuditProblem[]): AsyncGenerator<AuditCheckpoint[]> {
  if (!existsSync(path)) throw new InputValidationError({ message: `The checkpoint file ${path} does not exist.`, path });
  let page: AuditCheckpoint[] = [];
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() === "") continue;
    const checkpoint = parseCheckpointLine(line);
    if (!checkpoint) {
      problems.push({ reason: `line ${lineNumber} of ${path} is not a checkpoint` });
      continue;
    }
    page.push(checkpoint);
    if (page.length === pageSize) {
      yield page;
      page = [];
    }
  }
  yield page;
}

function parseCheckpointLine(line: string): AuditCheckpoint | null {
  let value: Partial<Record<keyof AuditCheckpoint, unknown>>;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const { seq, hash, at, keyId, signature } = value ?? {};
  const valid = Number.isSafeInteger(seq) && (seq as number) > 0 && typeof hash === "string" && /^[0-9a-f]{64}$/.test(hash) && Number.isFinite(at) && typeof keyId === "string" && typeof signature === "string";
  return valid ? { seq: seq as number, hash: hash as string, at: at as number, keyId: keyId as string, signature: signature as string } : null;
}
