import { CadreError, type CadreErrorOptions } from "../errors.ts";

export class UnknownWorkflowError extends CadreError {
  constructor(details: { workflow: string; known: string[] }, options?: CadreErrorOptions) {
    const { workflow: name, known } = details;
    super(
      "UNKNOWN_WORKFLOW",
      known.length
        ? `No workflow named "${name}". Known workflows: ${known.join(", ")}.`
        : `No workflow named "${name}": no workflows are registered. Define them in cadre.config.ts (or pass --config <file>), or to Runtime.open({ workflows }).`,
      { ...options, details: { workflow: name, known } },
    );
  }
}
