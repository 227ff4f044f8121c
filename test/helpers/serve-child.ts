import { spawn } from "node:child_process";
import { join } from "node:path";
import { repositoryRoot } from "./cli.ts";

/** `cadre serve --port 0 --quiet` in a child process (the built CLI); resolves with its URL once it printed it. */
export function startServeChild(args: string[], env: Record<string, string> = {}) {
  return startServe(["--port", "0", "--quiet", ...args], env);
}

/** `cadre serve` as a user starts it: a child process running the built CLI; `url` resolves once it printed it. */
export function startServe(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(repositoryRoot, "dist/cli/main.js"), "serve", ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /cadre serve: (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`cadre serve exited with ${code} before listening: ${stderr}`)));
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  return { child, url, exited, stop, output: () => ({ stdout, stderr }) };
}
