import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Runtime, defineAgent, issueCredential, verifyCredential } from "../../src/index.ts";
import { dialects, freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

describe.each(await dialects())("a credential's secret is compared, not only its prefix, on %s", (dialect) => {
  let location: TestStoreLocation;
  let runtime: Runtime | undefined;
  /** A store whose inventory holds the named agents, which is all a credential needs. */
  const openWith = async (names: string[]) => {
    location = await freshStoreLocation(dialect);
    const agents = names.map((name) => defineAgent({ name, owner: "tests", purpose: "holds a credential", input: z.any(), output: z.any(), run: (input) => input }));
    runtime = await Runtime.open({ store: location.location, agents, workflows: [] });
    return runtime.store;
  };
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await location?.cleanup();
  });

  it("refuses a wrong secret on a live prefix and leaves the credential unused", async () => {
    const store = await openWith(["holder"]);
    const issued = await issueCredential({ store, principal: "ops" }, { agent: "holder" });
    const [, prefix, secret] = /^cadre_([0-9a-f]{8})_(.+)$/.exec(issued.secret)!;
    // The last character changed, one character changed in the middle, the secret cut short, the secret lengthened.
    const lastChanged = `${secret!.slice(0, -1)}${secret!.endsWith("A") ? "B" : "A"}`;
    const middleChanged = `${secret!.slice(0, 10)}${secret![10] === "x" ? "y" : "x"}${secret!.slice(11)}`;
    const wrong = [lastChanged, middleChanged, secret!.slice(0, -1), `${secret}A`, "forged"].map((tail) => `cadre_${prefix}_${tail}`);
    const verify = (presented: string) => store.transaction((tx) => verifyCredential(tx, { secret: presented, now: 1_000 }));
    for (const presented of wrong) expect({ presented, agent: await verify(presented) }).toEqual({ presented, agent: null });
    const lastUsed = async () => (await store.db.selectFrom("credentials").select("last_used_at").where("prefix", "=", prefix!).executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();
    // The right secret on the same prefix still verifies, and is the only use recorded.
    expect(await verify(issued.secret)).toBe("holder");
    expect(Number(await lastUsed())).toBe(1_000);
  });

  it("a malformed secret is refused, not an error, even when it embeds a live credential", async () => {
    const store = await openWith(["holder"]);
    const issued = await issueCredential({ store, principal: "ops" }, { agent: "holder" });
    // The prefix in another case (an all-digit prefix has none: then one character changed).
    const upper = issued.prefix.toUpperCase() === issued.prefix ? `X${issued.prefix.slice(1)}` : issued.prefix.toUpperCase();
    const malformed = ["", "not-a-credential", `x${issued.secret}`, `cadre_${upper}_${issued.secret.slice(15)}`, issued.secret.replace(/^cadre_/, "cadre-")];
    for (const presented of malformed) expect({ presented, agent: await store.transaction((tx) => verifyCredential(tx, { secret: presented, now: 1_000 })) }).toEqual({ presented, agent: null });
  });

  it("a secret of one agent on another agent's live prefix is refused", async () => {
    const store = await openWith(["alice", "mallory"]);
    const admin = { store, principal: "ops" };
    const alice = await issueCredential(admin, { agent: "alice" });
    const mallory = await issueCredential(admin, { agent: "mallory" });
    const grafted = `cadre_${alice.prefix}_${mallory.secret.slice(`cadre_${mallory.prefix}_`.length)}`;
    expect(await store.transaction((tx) => verifyCredential(tx, { secret: grafted, now: 1_000 }))).toBeNull();
    expect(await store.transaction((tx) => verifyCredential(tx, { secret: alice.secret, now: 1_000 }))).toBe("alice");
    expect(await store.transaction((tx) => verifyCredential(tx, { secret: mallory.secret, now: 1_000 }))).toBe("mallory");
  });
});
