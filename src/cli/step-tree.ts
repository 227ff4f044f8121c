import { compareStepKeys, type JournalEntry } from "../engine/journal.ts";
import { positionOf } from "../engine/scope.ts";
import type { RunTree } from "../operator/run-tree.ts";

/** One row of `cadre show`: a step, a fan-out, one of its branches, or a child run. */
export interface TreeRow {
  depth: number;
  label: string;
  type: string;
  status: string;
  attempts: number | null;
  durationMs: number | null;
  costMicros: number;
  /** `CODE: message` of a failed step. */
  error: string | null;
}

/**
 * Journaled steps arranged as people think of a run: a `ctx.parallel`/`ctx.map` (which has no
 * journal row of its own) becomes a parent row with one labelled row per branch, an agent's
 * model and tool calls sit under it, a child workflow's run under the step that started it.
 * Each row carries the cost of everything under it.
 */
export function stepTreeRows(tree: RunTree, depth = 0): TreeRow[] {
  const builder = new TreeBuilder(tree);
  return builder.root.flatMap((node) => builder.rows(node, depth));
}

interface StepNode {
  kind: "step";
  position: string;
  entry: JournalEntry;
  children: TreeNode[];
}

/** A fan-out: the branches of a parallel, a map or a supervisor, keyed by branch label. */
interface GroupNode {
  kind: "group";
  position: string;
  branches: Map<string, TreeNode[]>;
}

type TreeNode = StepNode | GroupNode;

class TreeBuilder {
  readonly root: TreeNode[] = [];
  readonly #tree: RunTree;
  readonly #nodes = new Map<string, TreeNode>();
  readonly #chargesByKey = new Map<string, { micros: number; subject: string | null }>();

  constructor(tree: RunTree) {
    this.#tree = tree;
    for (const charge of tree.charges) {
      const key = charge.stepKey ?? "";
      const sum = this.#chargesByKey.get(key) ?? { micros: 0, subject: charge.subject };
      sum.micros += charge.amountMicros;
      this.#chargesByKey.set(key, sum);
    }
    for (const entry of tree.steps) this.#nodes.set(positionOf(entry.key), { kind: "step", position: positionOf(entry.key), entry, children: [] });
    for (const node of [...this.#nodes.values()]) this.#place(node);
    this.#sort(this.root);
  }

  rows(node: TreeNode, depth: number, branchLabel?: string): TreeRow[] {
    if (node.kind === "step") {
      const entry = node.entry;
      const row: TreeRow = {
        depth,
        label: (branchLabel ? `${branchLabel} ` : "") + this.#stepLabel(entry),
        type: entry.type,
        status: entry.status,
        attempts: entry.attempt,
        durationMs: entry.durationMs,
        costMicros: this.#cost(node),
        error: entry.status === "failed" && entry.error ? `${entry.error.code}: ${entry.error.message}` : null,
      };
      const child = this.#tree.children.find((candidate) => candidate.run.parentStepKey === entry.key);
      const childRows = child ? childRunRows(child, depth + 1) : [];
      return [row, ...childRows, ...node.children.flatMap((inner) => this.rows(inner, depth + 1))];
    }
    const branches = [...node.branches].filter(([label]) => label !== "s");
    const supervised = branches.some(([label]) => /g\d+$/.test(label));
    const count = new Set(branches.map(([label]) => label.replace(/g\d+$/, ""))).size;
    const rows: TreeRow[] = [{ ...this.#summary(node, depth), label: `${supervised ? "supervise" : "parallel"} (${count} ${supervised ? (count === 1 ? "child" : "children") : count === 1 ? "branch" : "branches"})`, type: supervised ? "supervise" : "parallel" }];
    // Supervisor decisions (restart or escalate) sit right under the supervisor.
    for (const decision of node.branches.get("s") ?? []) rows.push(...this.rows(decision, depth + 1));
    for (const [label, nodes] of branches) {
      const name = branchName(label);
      // A branch of one step (a map item, most parallel branches) is one row.
      if (nodes.length === 1) rows.push(...this.rows(nodes[0]!, depth + 1, name));
      else rows.push({ ...this.#summary({ kind: "group", position: node.position, branches: new Map([[label, nodes]]) }, depth + 1), label: name, type: "branch" }, ...nodes.flatMap((inner) => this.rows(inner, depth + 2)));
    }
    return rows;
  }

  /** Puts a node under the step or fan-out whose scope holds it. */
  #place(node: TreeNode): void {
    const scope = enclosingScope(node.position);
    if (!scope) return void this.root.push(node);
    const parent = this.#nodes.get(scope.position) ?? this.#group(scope.position);
    if (parent.kind === "step") return void parent.children.push(node);
    const branch = parent.branches.get(scope.branch) ?? [];
    branch.push(node);
    parent.branches.set(scope.branch, branch);
  }

  /** The fan-out at a position, created (and placed) the first time one of its steps is seen. */
  #group(position: string): GroupNode {
    const group: GroupNode = { kind: "group", position, branches: new Map() };
    this.#nodes.set(position, group);
    this.#place(group);
    return group;
  }

  #sort(nodes: TreeNode[]): void {
    nodes.sort((left, right) => compareStepKeys(left.position, right.position));
    for (const node of nodes) {
      if (node.kind === "step") this.#sort(node.children);
      else {
        for (const branch of node.branches.values()) this.#sort(branch);
        node.branches = new Map([...node.branches].sort(([left], [right]) => compareStepKeys(left, right)));
      }
    }
  }

  #stepLabel(entry: JournalEntry): string {
    if (entry.type === "tool" || entry.type === "workflow") return `${entry.type} ${entry.name}`;
    if (entry.type === "model") {
      const subject = this.#chargesByKey.get(entry.key)?.subject;
      return subject?.startsWith("model:") ? `model ${subject.slice("model:".length)}` : "model";
    }
    // `approval:send-reply`, `wait:payment.received`, `workflow:payout` read as two words.
    return entry.name.replace(/^([a-z]+):/, "$1 ");
  }

  #cost(node: TreeNode): number {
    const own = node.kind === "step" ? (this.#chargesByKey.get(node.entry.key)?.micros ?? 0) : 0;
    return own + descendants(node).reduce((sum, inner) => sum + this.#cost(inner), 0);
  }

  /** Status, duration and cost of a fan-out from the steps inside it. */
  #summary(node: GroupNode, depth: number): TreeRow {
    const steps = allSteps(node);
    const ended = steps.every((entry) => entry.endedAt !== null);
    const startedAt = Math.min(...steps.map((entry) => entry.startedAt));
    const endedAt = Math.max(...steps.map((entry) => entry.endedAt ?? 0));
    return { depth, label: "", type: "", status: nodeStatus(node), attempts: null, durationMs: ended && steps.length > 0 ? endedAt - startedAt : null, costMicros: this.#cost(node), error: null };
  }
}

function childRunRows(child: RunTree, depth: number): TreeRow[] {
  const row: TreeRow = {
    depth,
    label: `run ${child.run.id}`,
    type: "run",
    status: child.run.status,
    attempts: null,
    durationMs: child.run.endedAt ? child.run.endedAt - child.run.createdAt : null,
    costMicros: childCost(child),
    error: child.run.error ? `${child.run.error.code}: ${child.run.error.message}` : null,
  };
  return [row, ...stepTreeRows(child, depth + 1)];
}

function childCost(tree: RunTree): number {
  return tree.charges.reduce((sum, charge) => sum + charge.amountMicros, 0) + tree.children.reduce((sum, child) => sum + childCost(child), 0);
}

/** `1.0/1.t/2` is step 2 of scope `t` (an agent's calls) of the step at `1.0/1`. */
function enclosingScope(position: string): { position: string; branch: string } | undefined {
  const slash = position.lastIndexOf("/");
  if (slash === -1) return undefined;
  const prefix = position.slice(0, slash);
  const dot = prefix.lastIndexOf(".");
  return { position: prefix.slice(0, dot), branch: prefix.slice(dot + 1) };
}

/** `[2]` for branch 2, `[2] restart 1` for a supervised child's second generation. */
function branchName(label: string): string {
  const [, index, generation] = /^(\d+)(?:g(\d+))?$/.exec(label) ?? [];
  if (index === undefined) return label;
  return Number(generation ?? 0) > 0 ? `[${index}] restart ${generation}` : `[${index}]`;
}

function descendants(node: TreeNode): TreeNode[] {
  return node.kind === "step" ? node.children : [...node.branches.values()].flat();
}

function allSteps(node: TreeNode): JournalEntry[] {
  return [...(node.kind === "step" ? [node.entry] : []), ...descendants(node).flatMap(allSteps)];
}

/** A fan-out is failed when every branch failed, partial when only some did; steps inside a branch that recovered do not count. */
function nodeStatus(node: TreeNode): string {
  if (node.kind === "step") return node.entry.status;
  const statuses = new Set(currentBranches(node).flat().map(nodeStatus));
  if (statuses.has("started")) return "started";
  if (statuses.has("waiting")) return "waiting";
  if (statuses.has("failed") || statuses.has("partial")) return statuses.has("completed") || statuses.has("partial") ? "partial" : "failed";
  return "completed";
}

/** The branches that stand: of a supervised child restarted, only its last generation. */
function currentBranches(node: GroupNode): TreeNode[][] {
  const latest = new Map<string, { generation: number; nodes: TreeNode[] }>();
  for (const [label, nodes] of node.branches) {
    const [, child = label, generation = "0"] = /^(\d+)g(\d+)$/.exec(label) ?? [];
    const current = latest.get(child);
    if (!current || Number(generation) > current.generation) latest.set(child, { generation: Number(generation), nodes });
  }
  return [...latest.values()].map((branch) => branch.nodes);
}
