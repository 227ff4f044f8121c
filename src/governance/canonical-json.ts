/** JSON with object keys sorted at every level, so equal records always hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  // Keys sorted, then one string built: every audit record passes through here, and the
  // entries/filter/sort/map/join pipeline allocated five arrays per object for the same text.
  // Keys usually arrive in order already (records are built that way), and Array#sort
  // allocates a work area even for three keys: it runs only when two keys are out of order.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i += 1) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let json = "";
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i]!;
    const item = record[key];
    if (item === undefined) continue;
    json += `${json === "" ? "" : ","}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `{${json}}`;
}
