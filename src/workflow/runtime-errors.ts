import { CadreError } from "../errors.ts";

export class UnknownWorkflowError extends CadreError {
  constructor(name: string, known: string[]) {
    super(
      "UNKNOWN_WORKFLOW",
      "input",
      `No workflow named "${name}". Known workflows: ${known.length ? known.join(", ") : "(none registered)"}.`,
      { details: { workflow: name, known } },
    );
  }
}
