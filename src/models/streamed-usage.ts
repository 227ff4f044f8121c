import type { ModelTurn } from "./model-turn.ts";
import { estimateTokens } from "./pricing.ts";

type Usage = ModelTurn["usage"];

/**
 * What one streamed model call has used so far, for the attempt that ends before the stream
 * does (aborted by its timeout or the run's cancellation, or broken off by the provider).
 * The provider has done the work for every token it sent, so those tokens are charged.
 */
export class StreamedUsage {
  readonly #estimatedInputTokens: number;
  #arrived = "";
  #reported: Usage | undefined;

  /** `estimatedInputTokens`: the prompt's estimate, what the provider read before its first token. */
  constructor(estimatedInputTokens: number) {
    this.#estimatedInputTokens = estimatedInputTokens;
  }

  /** A piece of the answer arrived (text, reasoning or a tool call's arguments). */
  arrived(piece: string): void {
    this.#arrived += piece;
  }

  /** The provider reported the call's usage (it does at the end of a step). */
  reported(usage: Usage): void {
    this.#reported = usage;
  }

  /** True once the first token arrived: from then on, an early end still costs. */
  get started(): boolean {
    return this.#arrived.length > 0 || this.#reported !== undefined;
  }

  /**
   * The usage to charge for an attempt that ended early: the provider's own count when it
   * reported one; otherwise counted from what arrived (the prompt's estimate plus the
   * estimated tokens of the pieces received), since an aborted stream never gets the
   * provider's final usage. Nothing when no token arrived: the call failed before any work
   * reached us, and its hold is released in full.
   */
  used(): Usage | undefined {
    if (this.#reported) return this.#reported;
    if (this.#arrived.length === 0) return undefined;
    return { inputTokens: this.#estimatedInputTokens, outputTokens: estimateTokens(this.#arrived), cachedInputTokens: 0 };
  }
}
