/**
 * Deterministic step keys. A scope is a prefix (the path of enclosing parallel branches,
 * child workflows and restart generations) plus a counter: the n-th step asked for inside a
 * scope gets position `prefix + n` whatever order concurrent branches finish in.
 * The full key adds the step's name for people: `2.1/3:credit-bureau`.
 */
export class Scope {
  readonly prefix: string;
  #counter = 0;

  constructor(prefix = "") {
    this.prefix = prefix;
  }

  next(name: string): { position: string; key: string } {
    this.#counter += 1;
    const position = `${this.prefix}${this.#counter}`;
    return { position, key: `${position}:${name}` };
  }

  /** The scope of branch `index` under the step at `position`. */
  child(position: string, index: number | string): Scope {
    return new Scope(`${position}.${index}/`);
  }
}

/** The position part of a key: everything before the name. */
export function positionOf(key: string): string {
  const colon = key.indexOf(":", key.lastIndexOf("/") + 1);
  return colon === -1 ? key : key.slice(0, colon);
}
