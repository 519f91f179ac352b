/**
 * Fusion at build time. In each generated function, a chain of elementwise
 * ops (`const t4 = add(t2, t3); const h = tanh(t4);`) whose intermediates
 * have no other use becomes one call of a generated kernel:
 *
 *   const h = fused(kernel_loss_1, [t2, t3]);
 *
 * and the file gets, before the function, the kernel itself: its WGSL and
 * its CPU function, both built from the elementwise op table
 * (compiler/emit/fuse-kernel.ts). The pass runs on the syntax tree of the
 * generated functions after simplify, so it sees the forward and the
 * adjoint sweeps alike. Rules (docs/fusion.md):
 * - an op joins its user's kernel only when it is a `const` used exactly
 *   once in the whole function, as a direct operand of a fusable op of the
 *   same statement list;
 * - operands are names or number literals, and no statement between the
 *   op and its user assigns a name the op reads;
 * - shapes need not be known: the group's output shape is the broadcast of
 *   all its operands (broadcasting is associative), which `fused` checks at
 *   run time, naming the kernel when they do not broadcast.
 */
import { ts } from 'ts-morph';
import type { ModuleNames } from './names.ts';
import { docComment } from './printer.ts';
import { runtimeRef, runtimeRefOf } from './template.ts';
import { cpuHelperNames, fusableOps, kernelText, type FusableOp, type FusedNode, type KernelText } from './fuse-kernel.ts';
import { insertLifetimes, isNameSlot } from '../analysis/lifetimes.ts';
import { countShapeOnlyReads, epilogueCall, productOf, productReads, productStandIn, productText, type Product } from './fuse-epilogue.ts';
import { chainStandIn, prologueCall, reductionOf, reductionStatementOf, reductionText, withInitializer, type ReductionStatement } from './fuse-prologue.ts';

const f = ts.factory;

let enabled = process.env.WENGERT_FUSE !== '0';

/** Turns build-time fusion on or off (on unless WENGERT_FUSE=0); returns the previous setting. */
export function setFusion(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

export function fusionEnabled(): boolean {
  return enabled;
}

/** One fused group, for `wengert inspect` and tests. */
export interface FusedGroup {
  /** An elementwise kernel of its own, the epilogue of a matrix product, or the prologue of a reduction. */
  kind: 'elementwise' | 'matmul epilogue' | 'reduction prologue';
  /** Where it runs: the product (`matmul(h, t5)`, operand 0 of the kernel) or the reduction (`meanAll(·)`). */
  host?: string;
  /** The generated function it is in (`valueAndVjp_loss`). */
  fn: string;
  /** The kernel's constant in the generated file (`kernel_loss_1`). */
  kernel: string;
  /** The variable the group computes. */
  result: string;
  /** The ops, innermost first. */
  ops: string[];
  /** The operands passed to the kernel, in order (v0, v1, ...). */
  operands: string[];
  text: KernelText;
}

/** A call of a fusable op whose operands are names, literals or such calls again. */
interface Call {
  op: FusableOp;
  /** Operands, then the parameter if the call passes one. */
  args: (ts.Expression | Call)[];
}

interface Candidate {
  index: number;
  name: string;
  call: Call;
  /** The initializer was `asTensor(call)`. */
  asTensor: boolean;
  statement: ts.VariableStatement;
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/** `name` or a number literal (`2`, `-0.5`): what a kernel operand may be. */
function isSimpleOperand(e: ts.Expression): boolean {
  if (ts.isIdentifier(e)) return e.text !== 'undefined';
  return literalValue(e) !== undefined;
}

function literalValue(e: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return -Number(e.operand.text);
  if (ts.isIdentifier(e) && (e.text === 'Infinity' || e.text === 'NaN') && runtimeRefOf(e) === undefined) return e.text === 'NaN' ? NaN : Infinity;
  return undefined;
}

/** The fusable call tree of `e`, or null (a leaf that is not a name or a literal stops it). */
function callOf(e: ts.Expression): Call | null {
  if (!ts.isCallExpression(e) || !ts.isIdentifier(e.expression)) return null;
  const opName = runtimeRefOf(e.expression);
  const op = opName === undefined ? undefined : fusableOps.get(opName);
  if (!op) return null;
  const max = op.operands + (op.spec.param ? 1 : 0);
  if (e.arguments.length < op.operands || e.arguments.length > max) return null;
  const args: (ts.Expression | Call)[] = [];
  for (const a of e.arguments) {
    if (isSimpleOperand(a)) args.push(a);
    else {
      const inner = callOf(a);
      if (!inner) return null;
      args.push(inner);
    }
  }
  return { op, args };
}

function opCount(c: Call): number {
  return 1 + c.args.reduce<number>((n, a) => n + (isCall(a) ? opCount(a) : 0), 0);
}

function isCall(a: ts.Expression | Call): a is Call {
  return 'op' in a && 'args' in a && !('kind' in a);
}

/** The fusable call `const v = op(...)` / `const v = asTensor(op(...))`, if the statement is one. */
function candidateOf(s: ts.Statement, index: number): Candidate | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const)) return null;
  const [d, more] = s.declarationList.declarations;
  if (!d || more || !ts.isIdentifier(d.name) || !d.initializer || d.type) return null;
  let init = d.initializer;
  let asTensor = false;
  if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'asTensor' && init.arguments.length === 1 && ts.isCallExpression(init.arguments[0]!)) {
    asTensor = true;
    init = init.arguments[0]!;
  }
  const call = callOf(init);
  return call ? { index, name: d.name.text, call, asTensor, statement: s } : null;
}

/** Identifier leaves of a call tree. */
function leafNames(c: Call, into: Set<string> = new Set()): Set<string> {
  for (const a of c.args) {
    if (isCall(a)) leafNames(a, into);
    else if (ts.isIdentifier(a)) into.add(a.text);
  }
  return into;
}

/** Every identifier read in `node`, by name, with counts (declaration names and property names excluded). */
function countReads(node: ts.Node, counts: Map<string, number>): void {
  // Synthesized nodes have no parent pointers: the walk carries the parent.
  const visit = (n: ts.Node, p: ts.Node | undefined): void => {
    if (ts.isIdentifier(n)) {
      if (!isNameSlot(n, p)) counts.set(n.text, (counts.get(n.text) ?? 0) + 1);
      return;
    }
    ts.forEachChild(n, (c) => visit(c, n));
  };
  visit(node, undefined);
}

/** Names assigned (=, op=, ++, --) anywhere in `node`. */
function assignedNames(node: ts.Node, into: Set<string>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      collectTargets(n.left, into);
    } else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
      collectTargets(n.operand, into);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
}

function collectTargets(e: ts.Expression, into: Set<string>): void {
  if (ts.isIdentifier(e)) into.add(e.text);
  else if (ts.isArrayLiteralExpression(e)) e.elements.forEach((x) => collectTargets(x, into));
  else if (ts.isParenthesizedExpression(e)) collectTargets(e.expression, into);
}

/**
 * Context for one generated file: the kernels made so far (identical
 * kernels are declared once) and the groups, for inspect.
 */
export class FusionContext {
  readonly groups: FusedGroup[] = [];
  private readonly byText = new Map<string, string>();
  private count = 0;
  /** Kernel declarations not yet placed in the file. */
  private pending: ts.Statement[] = [];

  constructor(private readonly names: ModuleNames) {}

  kernelFor(base: string, text: KernelText, arity: number): { name: string; fresh: boolean } {
    const key = `${arity}\0${text.wgsl}\0${text.cpu}\0${text.cpuF32}`;
    const known = this.byText.get(key);
    if (known) return { name: known, fresh: false };
    this.count++;
    const name = this.names.moduleLevelName(`kernel_${base}_${this.count}`);
    this.byText.set(key, name);
    this.pending.push(kernelDeclaration(name, `fused_${base}_${this.count}`, text, arity));
    return { name, fresh: true };
  }

  /** The kernel declarations made since the last call. */
  takePending(): ts.Statement[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** `const kernel_f_1: FusedKernel = { name, arity, dtype, wgsl, cpu, cpuRows };` with the formula as its doc comment. */
function kernelDeclaration(constName: string, kernelName: string, text: KernelText, arity: number): ts.Statement {
  const wgsl = f.createNoSubstitutionTemplateLiteral(`\n${text.wgsl}\n`);
  ts.addSyntheticLeadingComment(wgsl, ts.SyntaxKind.MultiLineCommentTrivia, ' wgsl ', false);
  const object = f.createObjectLiteralExpression(
    [
      f.createPropertyAssignment('name', f.createStringLiteral(kernelName, true)),
      f.createPropertyAssignment('arity', f.createNumericLiteral(arity)),
      f.createPropertyAssignment('dtype', f.createStringLiteral(text.dtype, true)),
      f.createPropertyAssignment('wgsl', wgsl),
      f.createPropertyAssignment('cpu', parseExpression(text.cpu)),
      ...(text.cpuF32 ? [f.createPropertyAssignment('cpuF32', parseExpression(text.cpuF32))] : []),
      f.createPropertyAssignment('cpuRows', parseExpression(text.cpuRows)),
      ...(text.cpuRowsF32 ? [f.createPropertyAssignment('cpuRowsF32', parseExpression(text.cpuRowsF32))] : []),
    ],
    true,
  );
  const decl = f.createVariableStatement(
    undefined,
    f.createVariableDeclarationList([f.createVariableDeclaration(constName, undefined, f.createTypeReferenceNode(runtimeRef('FusedKernel')), object)], ts.NodeFlags.Const),
  );
  return docComment(decl, `Fused kernel: ${text.formula}`);
}

/** Parses generated kernel source (it mentions only its own parameters and JavaScript globals) as synthesized nodes. */
function parseExpression(text: string): ts.Expression {
  const sf = ts.createSourceFile('kernel.ts', `(${text});`, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const erase = (n: ts.Node): void => {
    ts.setTextRange(n, { pos: -1, end: -1 });
    ts.forEachChild(n, erase);
  };
  const s = sf.statements[0] as ts.ExpressionStatement;
  erase(s);
  // The op table's CPU helpers (tanhF32) are runtime exports: the file imports them.
  const helpers = (n: ts.Node): ts.Node => {
    if (ts.isIdentifier(n) && (cpuHelperNames.has(n.text) || n.text === 'TypedArray')) return runtimeRef(n.text);
    return ts.visitEachChild(n, helpers, nullContext);
  };
  return helpers((s.expression as ts.ParenthesizedExpression).expression) as ts.Expression;
}

/** The user function a generated function belongs to (`valueAndVjp_loss` -> `loss`). */
function baseName(fnName: string): string {
  return fnName.replace(/^(jvp|valueAndVjp|vjp)_/, '');
}

/**
 * Fuses the elementwise chains of every generated function in `statements`;
 * each function's new kernels are declared just before it (after its
 * section comment, so `inspect` shows them with it).
 */
export function fuseModule(statements: readonly ts.Statement[], ctx: FusionContext): ts.Statement[] {
  if (!enabled) return [...statements];
  const out: ts.Statement[] = [];
  for (const s of statements) {
    if (!ts.isFunctionDeclaration(s) || !s.body || !s.name) {
      out.push(s);
      continue;
    }
    const fused = fuseFunction(s, ctx);
    const kernels = ctx.takePending();
    if (kernels.length) {
      // The section comment (`// ---- f (model.ts:3) ----`) moves up to the first kernel.
      const comments = ts.getSyntheticLeadingComments(fused) ?? [];
      const section = comments.filter((c) => c.text.startsWith(' ---- '));
      if (section.length) {
        ts.setSyntheticLeadingComments(fused, comments.filter((c) => !section.includes(c)));
        ts.setSyntheticLeadingComments(kernels[0]!, [...section, ...(ts.getSyntheticLeadingComments(kernels[0]!) ?? [])]);
      }
      out.push(...kernels);
    }
    out.push(fused);
  }
  return out;
}

/** Read counts of one generated function's names: all reads, and the shape-only ones. */
interface Reads {
  all: ReadonlyMap<string, number>;
  shapeOnly: ReadonlyMap<string, number>;
}

function fuseFunction(fn: ts.FunctionDeclaration, ctx: FusionContext): ts.FunctionDeclaration {
  const all = new Map<string, number>();
  const shapeOnly = new Map<string, number>();
  countReads(fn.body!, all);
  countShapeOnlyReads(fn.body!, shapeOnly);
  const reads: Reads = { all, shapeOnly };
  const fnName = fn.name!.text;
  const visitList = (list: readonly ts.Statement[]): ts.Statement[] => fuseList(list.map(visitNested), reads, fnName, ctx);
  const visitNested = (s: ts.Statement): ts.Statement => {
    const visit = (n: ts.Node): ts.Node => {
      if (ts.isBlock(n)) return f.updateBlock(n, visitList(n.statements));
      if (ts.isFunctionLike(n) || ts.isClassLike(n)) return n;
      return ts.visitEachChild(n, visit, nullContext);
    };
    return visit(s) as ts.Statement;
  };
  const body = f.updateBlock(fn.body!, visitList(fn.body!.statements));
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, body);
}

/** Builds kernel operands and the tree of a group, inlining the chain members `inline` names. */
class GroupBuilder {
  readonly operands: ts.Expression[] = [];
  readonly ops: string[] = [];
  private readonly index = new Map<string, number>();

  /** `first`: a name that is operand 0 (the product of an epilogue). */
  constructor(private readonly inline: (name: string) => Call | undefined, first?: string) {
    if (first !== undefined) this.operand(first);
  }

  node(a: ts.Expression | Call): FusedNode {
    if (isCall(a)) {
      const args = a.args.slice(0, a.op.operands).map((x) => this.node(x));
      const param = a.args[a.op.operands];
      const node: FusedNode = param === undefined ? { kind: 'op', op: a.op, args } : { kind: 'op', op: a.op, args, param: this.node(param) };
      this.ops.push(a.op.name);
      return node;
    }
    const v = literalValue(a);
    if (v !== undefined) return { kind: 'literal', value: v };
    const name = (a as ts.Identifier).text;
    const inner = this.inline(name);
    if (inner) return this.node(inner);
    return this.operand(name);
  }

  private operand(name: string): FusedNode {
    let k = this.index.get(name);
    if (k === undefined) {
      k = this.operands.length;
      this.index.set(name, k);
      this.operands.push(f.createIdentifier(name));
    }
    return { kind: 'operand', index: k };
  }

  operandNames(): string[] {
    return this.operands.map((o) => (o as ts.Identifier).text);
  }
}

/** The kernel of a built group, declared in the context and recorded for inspect; returns its constant's name. */
function recordGroup(b: GroupBuilder, tree: FusedNode, result: string, fnName: string, ctx: FusionContext, host?: { kind: FusedGroup['kind']; text: string }): string {
  const text = kernelText(tree, b.operands.length);
  const { name: kernel } = ctx.kernelFor(baseName(fnName), text, b.operands.length);
  const group: FusedGroup = { kind: host?.kind ?? 'elementwise', fn: fnName, kernel, result, ops: b.ops, operands: b.operandNames(), text };
  if (host) group.host = host.text;
  ctx.groups.push(group);
  return kernel;
}

/** `fused(kernel, [operands])` for a built group, recorded in the context; null when the group is one op. */
function fusedCall(b: GroupBuilder, tree: FusedNode, result: string, fnName: string, ctx: FusionContext): ts.Expression | null {
  if (b.ops.length < 2) return null;
  const kernel = recordGroup(b, tree, result, fnName, ctx);
  return f.createCallExpression(runtimeRef('fused'), undefined, [f.createIdentifier(kernel), f.createArrayLiteralExpression(b.operands)]);
}

/** Fuses nested fusable calls inside one expression (`add(mul(a, b), c)` where it stands), outermost first. */
function fuseNested(node: ts.Node, fnName: string, ctx: FusionContext): ts.Node {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n) || ts.isBlock(n)) return n;
    if (ts.isCallExpression(n)) {
      // A reduction of a nested chain (`unbroadcast(mul(g, b), a)`) takes it as its prologue.
      const r = reductionOf(n);
      const inner = r && callOf(r.input);
      if (r && inner) {
        const b = new GroupBuilder(() => undefined);
        const tree = b.node(inner);
        return prologueCall(r, recordGroup(b, tree, '(expression)', fnName, ctx, { kind: 'reduction prologue', text: reductionText(r) }), b.operands);
      }
      const c = callOf(n);
      if (c && opCount(c) >= 2) {
        const b = new GroupBuilder(() => undefined);
        const call = fusedCall(b, b.node(c), '(expression)', fnName, ctx);
        if (call) return call;
      }
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(node);
}

/** Fuses the chains of one statement list (nested lists are done already). */
function fuseList(list: ts.Statement[], counts: Reads, fnName: string, ctx: FusionContext): ts.Statement[] {
  const reads = counts.all;
  const candidates = new Map<string, Candidate>();
  const products = new Map<string, Product>();
  /** Reductions of a name, by that name. */
  const reductions = new Map<string, ReductionStatement>();
  list.forEach((s, i) => {
    const c = candidateOf(s, i);
    if (c) candidates.set(c.name, c);
    const p = productOf(s, i);
    if (p) products.set(p.name, p);
    const r = reductionStatementOf(s, i);
    if (r) reductions.set((r.input as ts.Identifier).text, r);
  });
  // child -> the candidate it is inlined into
  const inlinedInto = new Map<string, Candidate>();
  for (const c of candidates.values()) {
    for (const name of leafNames(c.call)) {
      const child = candidates.get(name);
      if (!child || child.index >= c.index || reads.get(child.name) !== 1 || inlinedInto.has(child.name)) continue;
      if (!stableBetween(child, c, list, candidates)) continue;
      inlinedInto.set(child.name, c);
    }
  }
  const removed = new Set<number>();
  const replaced = new Map<number, ts.Statement>();
  /** Is `name` read once besides shape-only reads, and are none of `reads` assigned strictly between statements `from` and `to`? */
  const movable = (name: string, from: number, to: number, leaves: readonly string[]): boolean => {
    if (from >= to || reads.get(name) !== 1 + (counts.shapeOnly.get(name) ?? 0)) return false;
    const assigned = new Set<string>();
    for (let i = from + 1; i < to; i++) assignedNames(list[i]!, assigned);
    return !leaves.some((n) => assigned.has(n));
  };
  /** A product may host the group that reads it when that is its one read besides shape-only ones. */
  const hosts = (p: Product, root: Candidate): boolean => movable(p.name, p.index, root.index, productReads(p));
  for (const root of candidates.values()) {
    if (inlinedInto.has(root.name)) continue;
    const build = (first?: string) => {
      const members: Candidate[] = [root];
      const inline = (name: string): Call | undefined => {
        const child = candidates.get(name);
        if (!child || !members.includes(inlinedInto.get(name)!)) return undefined;
        members.push(child);
        return child.call;
      };
      const b = new GroupBuilder(inline, first);
      return { b, tree: b.node(root.call), members };
    };
    let group = build();
    const host = group.b
      .operandNames()
      .map((n) => products.get(n))
      .find((p): p is Product => p !== undefined && hosts(p, root));
    const reduction = reductions.get(root.name);
    if (!host && reduction && movable(root.name, root.index, reduction.index, group.b.operandNames())) {
      // The reduction takes the group as its prologue; the group's statement goes (or stays as a stand-in for shape-only reads).
      const kernel = recordGroup(group.b, group.tree, root.name, fnName, ctx, { kind: 'reduction prologue', text: reductionText(reduction) });
      let call = prologueCall(reduction, kernel, group.b.operands);
      if (reduction.asTensor) call = f.createCallExpression(runtimeRef('asTensor'), undefined, [call]);
      replaced.set(reduction.index, withInitializer(reduction.statement, call));
      if ((counts.shapeOnly.get(root.name) ?? 0) > 0) replaced.set(root.index, chainStandIn(root.statement, kernel, group.b.operands));
      else removed.add(root.index);
      for (const m of group.members) if (m !== root) removed.add(m.index);
      continue;
    }
    let call: ts.Expression | null;
    if (host) {
      products.delete(host.name);
      group = build(host.name);
      const kernel = recordGroup(group.b, group.tree, root.name, fnName, ctx, { kind: 'matmul epilogue', text: productText(host) });
      call = epilogueCall(host, kernel, group.b.operands.slice(1));
      if ((counts.shapeOnly.get(host.name) ?? 0) > 0) replaced.set(host.index, productStandIn(host));
      else removed.add(host.index);
    } else {
      call = fusedCall(group.b, group.tree, root.name, fnName, ctx);
    }
    const members = group.members;
    if (!call) continue;
    if (root.asTensor) call = f.createCallExpression(runtimeRef('asTensor'), undefined, [call]);
    replaced.set(root.index, withInitializer(root.statement, call));
    for (const m of members) if (m !== root) removed.add(m.index);
  }
  const out: ts.Statement[] = [];
  let carried: ts.SynthesizedComment[] = [];
  list.forEach((s, i) => {
    if (removed.has(i)) {
      // Source-line comments of a statement folded into a kernel stay where the code was.
      carried = [...carried, ...(ts.getSyntheticLeadingComments(s) ?? [])];
      return;
    }
    let next = replaced.get(i) ?? (candidates.has(nameOf(s)) && !inlinedInto.has(nameOf(s)) ? s : (fuseNested(s, fnName, ctx) as ts.Statement));
    if (carried.length) {
      next = ts.setSyntheticLeadingComments(next, [...carried, ...(ts.getSyntheticLeadingComments(next) ?? [])]);
      carried = [];
    }
    out.push(next);
  });
  return out;
}

function nameOf(s: ts.Statement): string {
  if (!ts.isVariableStatement(s)) return '';
  const d = s.declarationList.declarations[0];
  return d && ts.isIdentifier(d.name) ? d.name.text : '';
}

/** No statement strictly between `child` and `user` assigns a name `child` reads (so it may move down to `user`). */
function stableBetween(child: Candidate, user: Candidate, list: readonly ts.Statement[], candidates: ReadonlyMap<string, Candidate>): boolean {
  const leaves = new Set<string>();
  const collect = (c: Candidate): void => {
    for (const name of leafNames(c.call)) {
      leaves.add(name);
      const inner = candidates.get(name);
      if (inner && inner.index < c.index) collect(inner);
    }
  };
  collect(child);
  const assigned = new Set<string>();
  for (let i = child.index + 1; i < user.index; i++) assignedNames(list[i]!, assigned);
  for (const l of leaves) if (assigned.has(l)) return false;
  return true;
}

let lastGroups: FusedGroup[] = [];

/** The groups the last generated file fused (for `wengert inspect`). */
export function lastFusedGroups(): readonly FusedGroup[] {
  return lastGroups;
}

/** The build-time passes after simplify: fusion, then the inserted lifetimes (compiler/analysis/lifetimes.ts). */
export function fuseAndRelease(statements: readonly ts.Statement[], names: ModuleNames): ts.Statement[] {
  const ctx = new FusionContext(names);
  const fused = fuseModule(statements, ctx);
  lastGroups = ctx.groups;
  return insertLifetimes(fused, (n) => names.isModuleLevel(n));
}

/** The fused groups of user function `fn` (its jvp_ and valueAndVjp_), with where each runs, as text for `wengert inspect`; '' when none. */
export function fusedGroupsReport(groups: readonly FusedGroup[], fn: string): string {
  const mine = groups.filter((g) => baseName(g.fn) === fn);
  if (mine.length === 0) return '';
  return mine
    .map((g) => {
      const at = g.result === '(expression)' ? 'an expression' : g.result;
      const ops = `(${g.ops.length} op${g.ops.length === 1 ? '' : 's'}: ${g.ops.join(', ')})`;
      // In a product's epilogue v0 is the product; in a reduction's prologue the formula is what is summed.
      const where = g.kind === 'matmul epilogue' ? `, the epilogue of ${g.host} (v0)` : g.kind === 'reduction prologue' ? `, the prologue of ${g.host}` : '';
      const operands = g.kind === 'matmul epilogue' ? ['the product', ...g.operands.slice(1)] : g.operands;
      const head = `${g.kernel} in ${g.fn}${where}: ${at} = ${g.text.formula} with v = [${operands.join(', ')}] ${ops}`;
      return `${head}\n${g.text.wgsl.replace(/^/gm, '    ')}`;
    })
    .join('\n');
}
