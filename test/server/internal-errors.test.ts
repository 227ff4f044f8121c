import { afterEach, describe, expect, it } from "vitest";
import { Operator, Runtime } from "../../src/index.ts";
import { createServer } from "../../src/server/app.ts";
import { freshStoreLocation, type TestStoreLocation } from "../helpers/stores.ts";

describe("an error that is not a CadreError", () => {
  let location: TestStoreLocation | undefined;
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    await location?.cleanup();
  });

  it("is answered as a bare 500 INTERNAL, its message withheld from the client and reported in full to the server", async () => {
    location = await freshStoreLocation("sqlite");
    runtime = await Runtime.open({ store: location.location });
    // An operator API whose run listing breaks the way a bug would.
    const operator = new Operator(runtime.store);
    const broken = operator.as("local");
    Object.defineProperty(broken.runs, "list", { value: () => Promise.reject(new TypeError("secret internals: cannot read x of undefined")) });
    Object.defineProperty(operator, "as", { value: () => broken });
    const reported: Array<{ error: unknown; path: string }> = [];
    const app = createServer({ runtime, operator, auth: { mode: "dev" }, onInternalError: (error, request) => reported.push({ error, path: request.path }) });
    const response = await app.request("/api/runs");
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body).toEqual({ error: { code: "INTERNAL", message: "The server failed to handle the request; its log says why.", details: {} } });
    expect(JSON.stringify(body)).not.toContain("secret internals");
    expect(reported).toEqual([{ error: expect.objectContaining({ message: "secret internals: cannot read x of undefined" }), path: "/api/runs" }]);
  });
});
