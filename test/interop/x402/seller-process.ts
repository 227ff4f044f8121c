import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const sellerScript = join(import.meta.dirname, "fixtures/seller.ts");

export interface SellerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the selling Cadre process on its own store (port 0) and resolves once it printed its URL. */
export async function startSeller(env: { store: string; price: number; payTo?: string }): Promise<SellerProcess> {
  const child = spawn(process.execPath, [sellerScript], { env: { ...process.env, NO_COLOR: "1", CADRE_STORE: env.store, ORACLE_PRICE: String(env.price), PAY_TO: env.payTo ?? "seller" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`the seller exited before listening: ${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
