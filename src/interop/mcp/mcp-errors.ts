import { CadreError, messageFromDetails, type CadreErrorOptions, type MessageDetails } from "../../errors.ts";

/**
 * An MCP server could not be reached, or went away mid-call (its process died, its HTTP
 * endpoint closed). Retryable: the next call starts the server again (or reconnects), and
 * the same idempotency key goes with a retried call.
 */
export class McpServerUnavailableError extends CadreError {
  constructor(details: MessageDetails & { server: string }, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("MCP_SERVER_UNAVAILABLE", message, { retryable: true, ...options, details: facts });
  }
}

/** An MCP server answered a tool call with `isError: true`: the tool ran and failed; its text is the message. */
export class McpToolFailedError extends CadreError {
  constructor(details: MessageDetails & { server: string; tool: string }, options?: CadreErrorOptions) {
    const { message, details: facts } = messageFromDetails(details);
    super("MCP_TOOL_FAILED", message, { ...options, details: facts });
  }
}
