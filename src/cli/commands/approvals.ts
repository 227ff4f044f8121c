import type { Command } from "commander";
import { globalOptions, operatorFor, withReadOnlyOperator, withRuntime } from "../cli-context.ts";
import { commandLine } from "../invocation.ts";
import { printJson, readJsonInput, style } from "../io.ts";
import { formatTime, renderTable } from "../table.ts";
import { report } from "./run.ts";

/** Human-in-the-loop and events: `cadre approvals`, `cadre approve|reject`, `cadre emit`. */
export function registerApprovalCommands(program: Command): void {
  program
    .command("approvals")
    .description("approvals that runs are waiting for")
    .option("--run <runId>", "only this run")
    .action(async (options: { run?: string }, command: Command) => {
      const global = globalOptions(command);
      const pending = await withReadOnlyOperator(global, (operator) => operator.approvals.pending({ runId: options.run }));
      if (global.json) return printJson(pending);
      if (pending.length === 0) return void process.stdout.write("No run is waiting for an approval.\n");
      process.stdout.write(
        `${renderTable(
          ["RUN", "WORKFLOW", "APPROVAL", "REQUESTED", "DEADLINE", "REQUEST"],
          pending.map((item) => [item.runId, item.workflow, item.name, formatTime(item.requestedAt), formatTime(item.deadline), JSON.stringify(item.request).slice(0, 60)]),
        )}\n`,
      );
    });

  for (const [name, approved] of [["approve", true], ["reject", false]] as const) {
    program
      .command(`${name} <runId> <approval>`)
      .description(`${approved ? "approve" : "reject"} what a waiting run asked for, then resume it`)
      .option("--note <text>", "why (recorded in the audit log)")
      .action(async (runId: string, approval: string, options: { note?: string }, command: Command) => {
        const global = globalOptions(command);
        await withRuntime(global, async (runtime) => {
          const operator = operatorFor(runtime.store);
          const outcome = approved ? await operator.approvals.approve(runId, approval, { note: options.note }) : await operator.approvals.reject(runId, approval, { note: options.note });
          const decided = `${approved ? style.green("approved") : style.red("rejected")} "${approval}" for ${runId} as ${outcome.decision.by}`;
          // A child run's approval resumes the outermost run waiting on it, which resumes the child.
          const root = outcome.resume;
          if (!runtime.workflows.has(root.workflow)) {
            const resume = commandLine(global, ["resume", root.runId]);
            if (global.json) return printJson({ runId: root.runId, status: root.status, decision: { name: approval, ...outcome.decision }, resume });
            return void process.stderr.write(
              `${decided}; the run will resume when a process that has workflow "${root.workflow}" runs \`${resume}\` (or a worker/server picks it up). ` +
                `This process does not have it: pass --config with the file that defines "${root.workflow}".\n`,
            );
          }
          if (!global.json) process.stderr.write(`${decided}; resuming\n`);
          const handle = await runtime.wake(runId);
          if (!handle) return void process.stderr.write(`${runId} is being executed by another process; it picks the decision up itself.\n`);
          if (handle.runId !== runId && !global.json) process.stderr.write(`resuming ${handle.runId}, which waits on ${runId}\n`);
          await report(await handle.result(), { global, operator });
        });
      });
  }

  program
    .command("emit <topic>")
    .description("publish an event: waiting runs resume, subscribed workflows start")
    .option("-d, --data <json|@file|->", "event data as JSON", "{}")
    .action(async (topic: string, options: { data: string }, command: Command) => {
      const global = globalOptions(command);
      const data = readJsonInput(options.data);
      await withRuntime(global, async (runtime) => {
        const handles = await runtime.publish(topic, data);
        const results = await Promise.all(handles.map((handle) => handle.result()));
        if (global.json) return printJson({ topic, runs: results });
        process.stdout.write(`published "${topic}"; ${results.length} run(s) resumed or started\n`);
        for (const result of results) process.stdout.write(`  ${result.runId} ${result.status}\n`);
      });
    });
}
