import { CadreError } from "../errors.ts";

export class UnknownWorkflowError extends CadreError {
  constructor(name: string, known: string[]) {
    super(
      "UNKNOWN_WORKFLOW",
      known.length
        ? `No workflow named "${name}". Known workflows: ${known.join(", ")}.`
        : `No workflow named "${name}": no workflows are registered. Define them in cadre.config.ts (or pass --config <file>), or to Runtime.open({ workflows }).`,
      { details: { workflow: name, known } },
    );
  }
}
