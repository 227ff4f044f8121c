import type { Context, MiddlewareHandler } from "hono";
import { decodePaymentSignatureHeader, encodePaymentRequiredHeader, encodePaymentResponseHeader } from "@x402/core/http";
import { x402ResourceServer } from "@x402/core/server";
import { SettleError, type PaymentPayload, type PaymentRequirements, type SettleResponse } from "@x402/core/types";
import { appendAudit } from "../../governance/audit-log.ts";
import { cadreLedgerNetwork, iouScheme, requestDigest } from "../../interop/x402/iou.ts";
import { IouServerScheme } from "../../interop/x402/iou-server.ts";
import { localFacilitator, type Facilitator } from "../../interop/x402/local-facilitator.ts";
import type { ExposedTarget } from "../../workflow/exposure.ts";
import type { Runtime } from "../../workflow/runtime.ts";
import { startsWork } from "./starts-work.ts";

export interface X402SellerOptions {
  /** Who is paid: the payee name IOUs are made out to (default "cadre"). */
  payTo?: string;
  /** What verifies and settles payments (default: this store's local iou facilitator). */
  facilitator?: Facilitator;
  /** How long a payment may take to arrive after the 402 (default 300 s). */
  maxTimeoutSeconds?: number;
}

/** A payment verified for the request in hand: the handler that starts the work may key its run on it (see `paidRunId`). */
export interface VerifiedPayment {
  payer: string;
  nonce: string;
  amountMicros: number;
  target: string;
}

const verifiedKey = "x402Payment";

/** The payment verified for this request, when its target has a price. */
export function verifiedPayment(http: Context): VerifiedPayment | undefined {
  return http.get(verifiedKey as never) as VerifiedPayment | undefined;
}

/** The run id a paid call runs as: the same payment (a retried call) finds the same run instead of starting the work again. */
export const paidRunId = (payment: VerifiedPayment) => `x402_${payment.nonce.slice(0, 40)}`;

/**
 * Charges for exposed agents and workflows with x402, in front of the A2A routes: a request
 * that starts work on a target with a price and carries no payment is answered 402 with the
 * requirements (PAYMENT-REQUIRED); a payment is matched to this request's terms and verified
 * before the work starts; the work's handler runs; a successful answer is settled and carries
 * PAYMENT-RESPONSE. Every refusal is a 402 naming the reason, and is audited (`x402.refused`).
 */
export function x402Seller(options: X402SellerOptions & { runtime: Runtime; now?: () => number }): MiddlewareHandler {
  const { runtime } = options;
  const now = options.now ?? runtime.now;
  const payTo = options.payTo ?? "cadre";
  const server = new x402ResourceServer(options.facilitator ?? localFacilitator({ store: runtime.store, now })).register(cadreLedgerNetwork, new IouServerScheme());
  let ready: Promise<void> | undefined;

  const refuse = async (http: Context, target: ExposedTarget, requirements: PaymentRequirements[], reason: string, message: string, payer?: string): Promise<Response> => {
    if (reason !== "payment_required") {
      // `payer` is who the refused payment claims to be from, not an authenticated principal.
      await runtime.store.transaction((tx) =>
        appendAudit(tx, runtime.store.dialect, [{ kind: "x402.refused", at: now(), workflow: target.workflow.name, principal: null, data: { target: target.name, targetKind: target.kind, reason, message, resource: http.req.url, ...(payer ? { payer } : {}) } }]),
      );
    }
    const required = await server.createPaymentRequiredResponse(requirements, { url: http.req.url, description: target.description, mimeType: "application/json" }, reason);
    return http.json({ ...required, message }, 402, { "PAYMENT-REQUIRED": encodePaymentRequiredHeader(required), "cache-control": "no-store" });
  };

  return async (http, next) => {
    const target = runtime.exposed.find((exposed) => exposed.name === http.req.param("name") && exposed.via.includes("a2a"));
    // Only a POST starts work (cards and the like are free): its body is read, nothing else's.
    if (!target || target.price === 0 || http.req.method !== "POST") return next();
    const body = await http.req.text();
    // Read here, the body is handed on intact to handlers that read the raw request.
    http.req.raw = new Request(http.req.raw.url, { method: http.req.raw.method, headers: http.req.raw.headers, body, signal: http.req.raw.signal });
    if (!startsWork(http.req.method, http.req.path, body)) return next();
    // Once: the facilitator's supported kinds. A failure (a remote facilitator down) is tried again on the next call.
    await (ready ??= server.initialize().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));
    const url = http.req.url;
    const requirements = await server.buildPaymentRequirements({ scheme: iouScheme, network: cadreLedgerNetwork, payTo, price: target.price, maxTimeoutSeconds: options.maxTimeoutSeconds ?? 300, extra: { resource: url, request: requestDigest(http.req.method, url, body) } });
    const header = http.req.header("payment-signature");
    if (!header) return refuse(http, target, requirements, "payment_required", `Calling ${target.kind} ${target.name} costs ${target.price} micro-units: pay with x402 (scheme ${iouScheme} on ${cadreLedgerNetwork}) and send PAYMENT-SIGNATURE.`);
    let payload: PaymentPayload;
    try {
      payload = decodePaymentSignatureHeader(header);
    } catch (error) {
      return refuse(http, target, requirements, "invalid_payload", `PAYMENT-SIGNATURE is not an x402 payment payload: ${(error as Error).message}.`);
    }
    const payer = typeof payload.payload?.payer === "string" ? payload.payload.payer : undefined;
    const matched = server.findMatchingRequirements(requirements, payload);
    if (!matched) return refuse(http, target, requirements, "payment_mismatch", "The payment was made for other terms than this request's (scheme, amount, payee, resource or request body): a payment pays for one request.", payer);
    const verified = await server.verifyPayment(payload, matched);
    if (!verified.isValid) return refuse(http, target, requirements, verified.invalidReason ?? "invalid_payment", verified.invalidMessage ?? "The payment did not verify.", payer);
    http.set(verifiedKey as never, { payer: verified.payer ?? payer ?? "unknown", nonce: String(payload.payload.nonce ?? ""), amountMicros: Number(matched.amount), target: target.name } satisfies VerifiedPayment as never);
    await next();
    // Only work that succeeded is paid for: a refusal or a failure leaves the payment unsettled.
    if (http.res.status < 200 || http.res.status >= 300 || (await isUnpaidAnswer(http.res))) return;
    let settlement: SettleResponse;
    try {
      settlement = await server.settlePayment(payload, matched);
    } catch (error) {
      const reason = error instanceof SettleError ? (error.errorReason ?? "settle_failed") : "settle_failed";
      http.res = await refuse(http, target, requirements, reason, error instanceof SettleError ? (error.errorMessage ?? error.message) : (error as Error).message, payer);
      return;
    }
    if (!settlement.success) {
      http.res = await refuse(http, target, requirements, settlement.errorReason ?? "settle_failed", settlement.errorMessage ?? "The payment could not be settled.", payer);
      return;
    }
    const answered = new Response(http.res.body, http.res);
    answered.headers.set("PAYMENT-RESPONSE", encodePaymentResponseHeader(settlement));
    http.res = answered;
  };
}

/**
 * The task states in which the work was not done: A2A answers a run that failed, was cancelled
 * or refused, or waits for its caller, as a task in a 2xx JSON-RPC result. The payment stays
 * unsettled (the buyer's call fails, and its ledger charges nothing); a message sent again once
 * the task is answered presents the same payment, settled then. Both the v1.0 names and v0.3's.
 */
const unpaidTaskStates = new Set(["TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED", "TASK_STATE_INPUT_REQUIRED", "TASK_STATE_AUTH_REQUIRED", "failed", "canceled", "rejected", "input-required", "auth-required"]);

/**
 * Whether a JSON-RPC answer says the work did not happen: an error (JSON-RPC answers errors with
 * HTTP 200), or a task in a state of `unpaidTaskStates`. A batch is unpaid only when every answer is.
 */
async function isUnpaidAnswer(response: Response): Promise<boolean> {
  if (!/^application\/json\b/i.test(response.headers.get("content-type") ?? "")) return false;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return false;
  }
  const answers = Array.isArray(body) ? body : [body];
  return answers.length > 0 && answers.every((answer) => typeof answer === "object" && answer !== null && (("error" in answer && !("result" in answer)) || unpaidTaskStates.has(taskStateOf((answer as { result?: unknown }).result))));
}

/** The state of the task a JSON-RPC result carries: `{ task: { status: { state } } }` (v1.0) or `{ kind: "task", status: { state } }` (v0.3). */
function taskStateOf(result: unknown): string {
  if (typeof result !== "object" || result === null) return "";
  const task = "task" in result ? (result as { task?: unknown }).task : (result as { kind?: unknown }).kind === "task" ? result : undefined;
  const state = (task as { status?: { state?: unknown } } | undefined)?.status?.state;
  return typeof state === "string" ? state : "";
}
