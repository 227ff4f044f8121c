import { describe, expect, it } from "vitest";
import { hashRecord } from "../../src/governance/audit-log.ts";
import { canonicalJson } from "../../src/governance/canonical-json.ts";

// Audit hashes are stored: any change to how a record is serialized or hashed would break every
// existing chain. These digests were computed by the code that wrote chains before the
// allocation-lean rewrite (entries/sort pipeline, two-update Hash object) and pin it.
const data = { type: "agent", ok: true, attempt: 1, returnedMicros: 0, nested: { z: [1, { b: 2, a: "é" }], "10": null, "9": "x", skipped: undefined } };
const record = { seq: 7, at: 1796045591037, kind: "step.end", runId: "run_0mx3b67egcffcc1b496026514", stepKey: "1.0/1:noop", workflow: "fan-out", agent: "noop", principal: "unknown", data };

describe("canonicalJson", () => {
  it("sorts keys at every level (integer-like keys as strings), drops undefined members, keeps array order", () => {
    expect(canonicalJson(data)).toBe('{"attempt":1,"nested":{"10":null,"9":"x","z":[1,{"a":"é","b":2}]},"ok":true,"returnedMicros":0,"type":"agent"}');
  });

  it("writes keys already in order and keys out of order the same way", () => {
    expect(canonicalJson({ a: 1, b: { c: 2, d: 3 } })).toBe(canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(canonicalJson({ a: undefined })).toBe("{}");
    expect(canonicalJson({})).toBe("{}");
  });

  it("writes scalars as JSON does, and undefined at the top as null", () => {
    expect(canonicalJson("x\n")).toBe('"x\\n"');
    expect(canonicalJson(null)).toBe("null");
    expect(canonicalJson(undefined)).toBe("null");
    expect(canonicalJson([undefined, 2])).toBe("[null,2]");
  });
});

describe("audit record hash", () => {
  it("is the digest chains were written with", () => {
    expect(hashRecord("f1b3abe69d31c556467a55172da91e2be2a7a7d92610bd1ea5d45a0bfcb2028d", record)).toBe("85ab77c2128e284996c9fe86f5b6435860fd55e70603a276a0c16ab59c91ff3b");
  });
});
