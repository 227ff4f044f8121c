/** The Cedar engine's module (its WebAssembly build for Node). */
export type Cedar = typeof import("@cedar-policy/cedar-wasm/nodejs");

let loading: Promise<Cedar> | undefined;

/**
 * Loads the engine on first use: its 4 MB of WebAssembly are compiled only by a runtime or
 * command that has policies, never by the rest of the CLI.
 */
export function loadCedar(): Promise<Cedar> {
  loading ??= import("@cedar-policy/cedar-wasm/nodejs");
  return loading;
}
