import type { Command } from "commander";
import { globalOptions, operatorFor, withReadOnlyOperator, withExistingOperator, withRuntime } from "../cli-context.ts";
import { printJson } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";

/**
 * `cadre x402`: payments over HTTP with the `iou` scheme. On the payer's store an agent gets a
 * payment key pair (`keys create`, printing the public key); on the payee's store that key is
 * trusted for the payer (`trust`), and the payments settled are listed (`payments`).
 */
export function registerX402Commands(program: Command): void {
  const x402 = program.command("x402").description("x402 payments: agents' payment keys, trusted payers, payments received");
  const keys = x402.command("keys").description("agents' Ed25519 payment keys (they sign the IOUs the agent pays with)");
  keys
    .command("create <agent>")
    .description("create the agent's payment key pair (or show the one it has) and print its public key")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      // A runtime: the config's agents are in the inventory before one of them gets a key.
      const key = await withRuntime(global, async (runtime, config) => operatorFor(runtime.store, config).payments.createKey(agent));
      if (global.json) return printJson(key);
      process.stderr.write(`${key.created ? "created" : "already had"} a payment key for ${agent}; give the payee its public key: cadre x402 trust ${agent} <publicKey>\n`);
      process.stdout.write(`${key.publicKey}\n`);
    });
  keys
    .command("show <agent>")
    .description("print the agent's payment public key")
    .action(async (agent: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const key = await withReadOnlyOperator(global, (operator) => operator.payments.key(agent));
      if (global.json) return printJson(key);
      process.stdout.write(`${key.publicKey}\n`);
    });

  x402
    .command("trust <payer> <publicKey>")
    .description("accept IOUs from <payer> (an agent of another store) signed with <publicKey> (audited)")
    .action(async (payer: string, publicKey: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const trusted = await withExistingOperator(global, (operator) => operator.payments.trust(payer, publicKey));
      if (global.json) return printJson(trusted);
      process.stdout.write(`trusting IOUs from ${payer}\n`);
    });
  x402
    .command("trusted")
    .description("list the payers whose IOUs this store accepts")
    .action(async (_options: unknown, command: Command) => {
      const global = globalOptions(command);
      const payers = await withReadOnlyOperator(global, (operator) => operator.payments.trusted());
      if (global.json) return printJson(payers);
      process.stdout.write(`${renderTable(["PAYER", "PUBLIC KEY", "ADDED", "BY"], payers.map((payer) => [payer.payer, payer.publicKey, formatTime(payer.addedAt), payer.addedBy]))}\n`);
    });
  x402
    .command("payments")
    .description("payments this store received and settled, newest first")
    .option("--payer <payer>", "only this payer's")
    .action(async (options: { payer?: string }, command: Command) => {
      const global = globalOptions(command);
      const payments = await withReadOnlyOperator(global, (operator) => operator.payments.received(options.payer ? { payer: options.payer } : {}));
      if (global.json) return printJson(payments);
      process.stdout.write(`${renderTable(["SETTLED", "PAYER", "PAY TO", "MICROS", "RESOURCE", "TRANSACTION"], payments.map((payment) => [formatTime(payment.settledAt), payment.payer, payment.payTo, String(payment.amount), payment.resource, payment.transactionId]))}\n`);
    });
}
