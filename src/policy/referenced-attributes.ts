/**
 * The attribute names a policy can read, from its JSON form: every `.attr` and `has attr`.
 * The engine's cost grows with what it is sent, and an attribute no policy names cannot
 * change a decision, so requests carry only these. A policy that compares or passes a whole
 * record (`context == {...}`, `principal.labels` aside) makes every attribute count: "all".
 */
export function referencedAttributes(policy: unknown): Set<string> | "all" {
  const names = new Set<string>();
  let whole = false;
  const visit = (node: unknown, asRecordBase: boolean): void => {
    if (whole || node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach((item) => visit(item, false));
    const record = node as Record<string, unknown>;
    if ("Var" in record) {
      // principal/resource as a whole are entity references (compared by uid); context as a whole is a record.
      if (record.Var === "context" && !asRecordBase) whole = true;
      return;
    }
    for (const [key, value] of Object.entries(record)) {
      if ((key === "." || key === "has") && value && typeof value === "object") {
        const access = value as { left: unknown; attr: string | string[] };
        for (const attr of Array.isArray(access.attr) ? access.attr : [access.attr]) names.add(attr);
        visit(access.left, true);
      } else if (key === "Record" || key === "Value") {
        // A record literal's keys and a literal value read nothing; their nested expressions may.
        if (key === "Record") visit(Object.values(value as object), false);
      } else {
        visit(value, false);
      }
    }
  };
  visit((policy as { conditions?: unknown }).conditions ?? [], false);
  return whole ? "all" : names;
}
