import { spawn } from "node:child_process";

/** Polls a condition; the limit only turns a hang into a failure, it measures nothing. */
export async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 60_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Runs a fixture script in a real child process (its first stdout line is the run id),
 * waits until `reached()` says it got where the test wants it, then kills it with SIGKILL —
 * no chance to clean up, as in a crash. Returns the run id it printed.
 */
export async function crashChild(options: { script: string; args: string[]; env?: Record<string, string>; reached: () => boolean; what: string }): Promise<string> {
  const child = spawn(process.execPath, [options.script, ...options.args], { env: { ...process.env, CADRE_CRASH_HANG: "1", ...options.env }, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await until(options.reached, options.what);
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  return stdout.trim();
}
