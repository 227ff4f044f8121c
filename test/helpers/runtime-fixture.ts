import { afterEach } from "vitest";
import { Runtime, type Agent, type RuntimeOptions, type Workflow } from "../../src/index.ts";
import { freshStoreLocation, type TestStoreLocation } from "./stores.ts";

/**
 * Runtimes on one fresh store of `dialect` per test, closed and the store removed after it.
 * Call inside a `describe`; the returned `open` may be called several times in a test (they
 * share the store, as processes would).
 */
export function runtimeFixture(dialect: "sqlite" | "postgres") {
  let location: TestStoreLocation | undefined;
  const runtimes: Runtime[] = [];
  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await location?.cleanup();
    location = undefined;
  });
  return async (agents: Agent[], workflows: Workflow[], options: Omit<RuntimeOptions, "store" | "agents" | "workflows"> = {}) => {
    location ??= await freshStoreLocation(dialect);
    const runtime = await Runtime.open({ ...options, store: location.location, agents, workflows });
    runtimes.push(runtime);
    return runtime;
  };
}
