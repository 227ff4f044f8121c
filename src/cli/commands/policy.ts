import type { Command } from "commander";
import { ConfigurationError } from "../../errors.ts";
import { testPolicySet, validatePolicySet, type ExplainedDecision } from "../../operator/policies.ts";
import type { PolicyCaseAgent } from "../../operator/policy-cases.ts";
import { cadreSchema } from "../../policy/cadre-schema.ts";
import { formatProblem, type PolicyProblem } from "../../policy/policy-errors.ts";
import type { PolicyOptions } from "../../policy/policy-sources.ts";
import { globalOptions, withReadOnlyOperator, type GlobalOptions } from "../cli-context.ts";
import { loadConfig } from "../config.ts";
import { ExitCode } from "../exit-codes.ts";
import { printJson, style } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";

interface SourceFlags {
  dir?: string;
  file?: string[];
  schema?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The policy files: the flags, else the configuration's `policies`. */
async function policySources(global: GlobalOptions, flags: SourceFlags): Promise<{ options: PolicyOptions; agents: PolicyCaseAgent[] }> {
  const { config } = await loadConfig(global.config).catch((error: unknown) => {
    // Flags alone are enough to validate files; without them the configuration is needed.
    if (flags.dir || flags.file) return { config: {} as Awaited<ReturnType<typeof loadConfig>>["config"] };
    throw error;
  });
  const agents = (config.agents ?? []) as PolicyCaseAgent[];
  if (flags.dir || flags.file) return { options: { dir: flags.dir, files: flags.file, schema: flags.schema ?? config.policies?.schema }, agents };
  if (!config.policies) throw new ConfigurationError({ message: "No policies to check: name them in cadre.config.ts (policies: { dir: \"policies\" }) or pass --dir/--file.", field: "policies" });
  return { options: { ...config.policies, ...(flags.schema ? { schema: flags.schema } : {}) }, agents };
}

const sourceOptions = (command: Command): Command =>
  command
    .option("--dir <folder>", "the folder of *.cedar files (default: policies.dir of the configuration)")
    .option("--file <path>", "a policy file (repeat for several)", collect)
    .option("--schema <path>", "the Cedar schema (default: policies.schema, else Cadre's own)");

function printProblems(problems: PolicyProblem[]): void {
  process.stdout.write(`${style.red("invalid")}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n`);
  for (const problem of problems) process.stdout.write(`  ${formatProblem(problem)}\n`);
}

/** `cadre policy validate | test | explain | schema`: the organisation's Cedar policies. */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command("policy").description("the organisation's Cedar policies: validate, test, explain, schema");

  sourceOptions(policy.command("validate"))
    .description("check the policy files against the schema; exit 0 when valid, 1 naming file, line and problem")
    .action(async (flags: SourceFlags, command: Command) => {
      const global = globalOptions(command);
      const validation = await validatePolicySet((await policySources(global, flags)).options);
      process.exitCode = validation.ok ? ExitCode.ok : ExitCode.failed;
      if (global.json) return printJson(validation);
      if (!validation.ok) return printProblems(validation.problems);
      process.stdout.write(`${style.green("valid")}: ${validation.policies.length} policies, version ${validation.version} (schema ${validation.schema})\n`);
      process.stdout.write(`${renderTable(["ID", "EFFECT", "WHERE", "MESSAGE"], validation.policies.map((each) => [each.id, each.approval ? "forbid → approval" : each.effect, `${each.file}:${each.line}`, each.approval ?? each.message ?? ""]))}\n`);
    });

  sourceOptions(policy.command("test <cases>"))
    .description("decide each request of a JSON-lines case file and compare with its expected decision; exit 0 when all pass, 1 otherwise")
    .action(async (casesFile: string, flags: SourceFlags, command: Command) => {
      const global = globalOptions(command);
      const { options, agents } = await policySources(global, flags);
      const validation = await validatePolicySet(options);
      if (!validation.ok) {
        process.exitCode = ExitCode.failed;
        return global.json ? printJson(validation) : printProblems(validation.problems);
      }
      const report = await testPolicySet(options, casesFile, agents);
      process.exitCode = report.failed === 0 ? ExitCode.ok : ExitCode.failed;
      if (global.json) return printJson(report);
      for (const result of report.results) {
        const mark = result.passed ? style.green("pass") : style.red("FAIL");
        const decided = `${result.actual.outcome}${result.actual.policies.length > 0 ? ` by ${result.actual.policies.join(", ")}` : ""}`;
        const expected = result.passed ? "" : ` (expected ${result.expected.outcome}${result.expected.policies ? ` by ${result.expected.policies.join(", ")}` : ""}; ${result.actual.reason})`;
        process.stdout.write(`${mark} ${casesFile}:${result.line} ${result.name}: ${decided}${expected}\n`);
      }
      process.stdout.write(`${report.passed} passed, ${report.failed} failed (policy version ${report.version})\n`);
    });

  policy
    .command("explain <runId> <step>")
    .description("which policies decided a past call (a step key or position from `cadre show`), as the policy set was then")
    .action(async (runId: string, step: string, _options: unknown, command: Command) => {
      const global = globalOptions(command);
      const explained = await withReadOnlyOperator(global, (operator) => operator.policies.explain(runId, step));
      if (global.json) return printJson(explained);
      process.stdout.write(`${runId} ${explained.stepKey}\n`);
      for (const decision of explained.decisions) printDecision(decision);
    });

  policy
    .command("schema")
    .description("print Cadre's Cedar schema: the entities, actions and context every policy is evaluated with")
    .action(() => void process.stdout.write(cadreSchema));
}

function printDecision(decision: ExplainedDecision): void {
  const outcome = { allow: style.green("allowed"), deny: style.red("denied"), approval: style.yellow("held for approval"), refused: style.red("refused before the policies") }[decision.outcome];
  const attempt = decision.attempt === null ? "" : ` attempt ${decision.attempt}`;
  process.stdout.write(`\n${formatTime(decision.at)}${attempt}: ${outcome}${decision.version ? ` by policy version ${decision.version}` : ""}${decision.approvedBy ? `, approved by ${decision.approvedBy}` : ""}\n`);
  if (decision.reason && decision.outcome !== "allow") process.stdout.write(`  ${decision.reason}\n`);
  for (const policy of decision.policies) {
    process.stdout.write(`  ${style.bold(policy.id)} (${policy.effect}, ${policy.file}:${policy.line})${policy.message ? `: ${policy.message}` : ""}${policy.approval ? `: ${policy.approval}` : ""}\n`);
    if (policy.text) process.stdout.write(`${policy.text.split("\n").map((line) => `    ${line}`).join("\n")}\n`);
  }
}
