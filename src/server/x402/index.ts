export { paidRunId, verifiedPayment, x402Seller, type VerifiedPayment, type X402SellerOptions } from "./seller.ts";
export { startsWork } from "./starts-work.ts";
