import { positionOf } from "../engine/scope.ts";

/** Orders step keys as a tree: by position segment (numbers numerically), a parent before the steps inside it. */
export function compareKeys(a: string, b: string): number {
  const parse = (key: string) => positionOf(key).split(/[/.]/).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const left = parse(a);
  const right = parse(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index]!;
    const y = right[index]!;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    if (typeof x === "number") return -1;
    if (typeof y === "number") return 1;
    return x < y ? -1 : 1;
  }
  return left.length - right.length || (a < b ? -1 : a > b ? 1 : 0);
}
