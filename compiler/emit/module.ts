/**
 * Assembles one generated `*.grad.ts` file as a syntax tree: the header,
 * the imports the derivative code needs, and for each differentiable
 * function `f` its `jvp_f`, `valueAndVjp_f`, `vjp_f`, `grad_f` and
 * `valueAndGrad_f` (or `vjp_f` and `jacobian_f` for vector-valued `f`).
 *
 * Imports are computed from the tree: every identifier a template marked as
 * a runtime reference is imported from 'wengert' (renamed when a user name
 * takes it), and user imports come from the naming authority, which gave
 * each one its local name.
 */
import { ts } from 'ts-morph';
import type { IRFunction, VarType } from '../ir/ir.ts';
import { structureWrappers } from '../transforms/structures.ts';
import { exportName, forwardedArgs, gradsType, isStructureValued, isTensorValued, isVectorValued, param, signatureParams, type EmitContext } from '../transforms/common.ts';
import { generatedHeader } from './header.ts';
import { jacobianVariants } from './higher-order.ts';
import type { ModuleNames } from './names.ts';
import { id } from './nodes.ts';
import { docComment, lineComment, printStatements } from './printer.ts';
import { guardRecursive } from './recursion.ts';
import { fuseAndRelease } from './fuse.ts';
import { RUNTIME_TYPES } from './runtime-names.ts';
import { hoistRows } from './hoist-rows.ts';
import { simplify } from './simplify.ts';
import { localAccumulators } from './local-accumulators.ts';
import { foldIncrements } from './fold-increments.ts';
import { hoistInvariantReads } from './invariant-reads.ts';
import { versionLoops } from './versioned-loops.ts';
import { tapeCursors } from './tape-cursors.ts';
import { scratchBuffers } from './scratch-buffers.ts';
import { sweepResults } from './sweep-results.ts';
import { VectorModes } from './vector-wrappers.ts';
import { valueFreeVjp } from './value-free.ts';
import { recursiveFunctions } from './recursion.ts';
import { expr, runtimeRef, runtimeRefOf, stmts, type, typeFromText } from './template.ts';

const f = ts.factory;

export interface CompiledFunction {
  fn: IRFunction;
  ctx: EmitContext;
  jvp: ts.FunctionDeclaration;
  vjp: ts.FunctionDeclaration;
  /** For a derivative specialised to some of the wrt parameters: the function it specialises (module-local, no wrappers). */
  specializationOf?: string;
  /** For the virtual `grad_f` of an `order(2)` function: its wrappers (emit/higher-order.ts); only `jvp` is emitted. */
  secondOrder?: ts.Statement[];
}

/** User imports of the generated file: module specifier -> export name -> local name, and whether only types are used. */
export class UserImports {
  readonly values = new Map<string, Map<string, string>>();
  readonly types = new Map<string, Map<string, string>>();

  add(kind: 'values' | 'types', module: string, exportName: string, local: string): void {
    const map = this[kind];
    if (!map.has(module)) map.set(module, new Map());
    map.get(module)!.set(exportName, local);
  }
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/** Renames runtime references to their local names and records which are used, and how. */
function resolveRuntime(statements: ts.Statement[], names: ModuleNames): { statements: ts.Statement[]; used: Map<string, 'value' | 'type'> } {
  const used = new Map<string, 'value' | 'type'>();
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isIdentifier(n)) {
      const runtime = runtimeRefOf(n);
      if (runtime === undefined) return n;
      const asType = n.parent === undefined ? false : ts.isTypeReferenceNode(n.parent);
      const kind = RUNTIME_TYPES.has(runtime) || asType ? 'type' : 'value';
      if (used.get(runtime) !== 'value') used.set(runtime, kind);
      const local = names.runtime(runtime);
      return local === runtime ? n : f.createIdentifier(local);
    }
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && runtimeRefOf(n.typeName) !== undefined) {
      const runtime = runtimeRefOf(n.typeName)!;
      if (!used.has(runtime)) used.set(runtime, 'type');
      const local = names.runtime(runtime);
      return local === runtime ? n : f.updateTypeReferenceNode(n, f.createIdentifier(local), n.typeArguments && f.createNodeArray(n.typeArguments.map((t) => visit(t) as ts.TypeNode)));
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return { statements: statements.map((s) => visit(s) as ts.Statement), used };
}

/** `import { a, b as c, type T } from 'm';` */
function importDeclaration(module: string, values: [string, string][], types: [string, string][]): ts.ImportDeclaration {
  const spec = (exported: string, local: string, typeOnly: boolean) =>
    f.createImportSpecifier(typeOnly, exported === local ? undefined : f.createIdentifier(exported), f.createIdentifier(local));
  const valueLocals = new Set(values.map(([, l]) => l));
  const elements = [
    ...values.sort(([, a], [, b]) => a.localeCompare(b)).map(([e, l]) => spec(e, l, false)),
    ...types.filter(([, l]) => !valueLocals.has(l)).sort(([, a], [, b]) => a.localeCompare(b)).map(([e, l]) => spec(e, l, true)),
  ];
  return f.createImportDeclaration(undefined, f.createImportClause(undefined, undefined, f.createNamedImports(elements)), f.createStringLiteral(module, true));
}

/** 'wengert' first, then other packages, then relative modules. */
function compareModules(a: string, b: string): number {
  const rank = (m: string) => (m === 'wengert' ? 0 : m.startsWith('.') ? 2 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The statements of the generated file (imports first), ready to print. */
export function moduleStatements(fns: CompiledFunction[], names: ModuleNames, user: UserImports): ts.Statement[] {
  const body: ts.Statement[] = [];
  const vectorModes = new VectorModes(fns, names);
  const recursive = recursiveFunctions(fns.map((c) => c.fn));
  for (const c of fns) {
    if (c.specializationOf) {
      // Module-local: the calls in this file that differentiate only these parameters use them.
      const local = (d: ts.FunctionDeclaration) => f.updateFunctionDeclaration(d, undefined, d.asteriskToken, d.name, d.typeParameters, d.parameters, d.type, d.body);
      const jvp = local(c.jvp);
      const wrt = c.fn.params.filter((q) => q.wrt).map((q) => q.name).join(', ');
      lineComment(jvp, `---- ${c.specializationOf} for calls that differentiate only (${wrt}) (${c.fn.sourceFile}:${c.fn.loc.line}) ----`, true);
      body.push(jvp, local(c.vjp));
      continue;
    }
    if (c.secondOrder) {
      lineComment(c.jvp, `---- second derivatives of ${c.fn.name.replace(/^grad_/, '')} (${c.fn.sourceFile}:${c.fn.loc.line}) ----`, true);
      body.push(c.jvp, ...c.secondOrder);
      continue;
    }
    const first = c.jvp;
    lineComment(first, `---- ${c.fn.name} (${c.fn.sourceFile}:${c.fn.loc.line}) ----`, true);
    // A recursive f's vjp_f would need the recursion guard of its valueAndVjp_f (recursion.ts): it delegates.
    body.push(c.jvp, c.vjp, ...vectorModes.withVectorModes(c, wrappers(c.fn, c.ctx, recursive.has(c.fn.name) ? undefined : c.vjp)));
  }
  body.push(...vectorModes.declarations());
  const passed = guardRecursive(fuseAndRelease(versionLoops(hoistInvariantReads(hoistRows(foldIncrements(localAccumulators(simplify(body)))))), names), fns);
  // Tape cursors last: the passes before it read the tapes' push and pop calls.
  const sweeps = tapeCursors(sweepResults(scratchBuffers(passed, vectorModes.scratchSweeps(), vectorModes.nonRetainingFunctions()), vectorModes.sweepLanes()));
  const { statements, used } = resolveRuntime(sweeps, names);
  const runtimeValues: [string, string][] = [];
  const runtimeTypes: [string, string][] = [];
  for (const [exported, local] of names.runtimeImports()) {
    if (!used.has(exported)) continue;
    (used.get(exported) === 'value' ? runtimeValues : runtimeTypes).push([exported, local]);
  }
  const modules = new Set([...user.values.keys(), ...user.types.keys()]);
  if (runtimeValues.length || runtimeTypes.length) modules.add('wengert');
  const imports: ts.Statement[] = [];
  for (const m of [...modules].sort(compareModules)) {
    const values = [...(user.values.get(m) ?? new Map<string, string>()).entries()];
    const types = [...(user.types.get(m) ?? new Map<string, string>()).entries()];
    if (m === 'wengert') {
      values.push(...runtimeValues.filter(([e]) => !values.some(([v]) => v === e)));
      types.push(...runtimeTypes.filter(([e]) => !types.some(([t]) => t === e) && !values.some(([v]) => v === e)));
    }
    if (values.length || types.length) imports.push(importDeclaration(m, values, types));
  }
  // Own exports under another name where a user parameter or local hides them (names.ts `ownExport`).
  const aliases = names.exportAliases().flatMap(([exported, alias]) => stmts`const ${alias} = ${exported};`);
  return [...imports, ...aliases, ...statements];
}

/** The text of the generated file. */
export function emitModule(sourceBaseName: string, fns: CompiledFunction[], names: ModuleNames, user: UserImports): string {
  const statements = moduleStatements(fns, names, user);
  return `${generatedHeader(sourceBaseName)}\n${printStatements(statements)}\n`;
}

/**
 * `vjp_f`, `grad_f`, `valueAndGrad_f` (or `jacobian_f`) in terms of `valueAndVjp_f` and `jvp_f`. Given the
 * declaration of `valueAndVjp_f`, a number-valued f without tensors or auxiliary results gets a `vjp_f` of its own
 * that does not compute the value, where that saves work (value-free.ts); `grad_f` calls it.
 */
export function wrappers(fn: IRFunction, ctx: EmitContext, valueAndVjpDecl?: ts.FunctionDeclaration): ts.Statement[] {
  if (isStructureValued(fn)) return structureWrappers(fn, ctx);
  if (isVectorValued(fn)) return vectorWrappers(fn, ctx);
  if (isTensorValued(fn)) return tensorWrappers(fn, ctx);
  const grads = () => gradsType(fn, ctx);
  const wrt = fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ');
  const valueAndVjp = (seed: ts.Expression) => f.createCallExpression(id(ctx.module.ownExport(exportName(fn, 'valueAndVjp'))), undefined, [...forwardedArgs(fn), seed]);
  const exported = (name: string, params: ts.ParameterDeclaration[], result: ts.TypeNode, body: ts.Statement[], doc: string) =>
    docComment(f.createFunctionDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], undefined, name, undefined, params, result, f.createBlock(body, true)), doc);
  const seed = ctx.module.forFunction(ctx.userNames).seed();
  const vjpDoc = `Reverse mode: the cotangent ${seed} pulled back to (${wrt}).`;
  const ownVjp = valueAndVjpDecl && !fn.aux && !fn.self && !handsOutTensors(fn) && !fn.params.some((p) => holdsTensors(p.type)) ? valueFreeVjp(valueAndVjpDecl, exportName(fn, 'vjp'), grads()) : null;
  const vjp = ownVjp
    ? docComment(ownVjp, `${vjpDoc}\nThe adjoint sweep of valueAndVjp_${fn.name} without what only the value needs.`)
    : exported(exportName(fn, 'vjp'), [...signatureParams(fn, ctx), param(seed, type`number`)], grads(), stmts`return ${valueAndVjp(id(seed))}[1];`, vjpDoc);
  const gradCall = ownVjp
    ? f.createCallExpression(id(ctx.module.ownExport(exportName(fn, 'vjp'))), undefined, [...forwardedArgs(fn), f.createNumericLiteral(1)])
    : handedOut(fn, ctx, 'grad', valueAndVjp(f.createNumericLiteral(1)));
  return [
    vjp,
    exported(exportName(fn, 'grad'), signatureParams(fn, ctx, true), grads(), stmts`return ${gradCall};`, `The gradient of ${fn.name}${transientDoc(fn)}`),
    exported(
      exportName(fn, 'valueAndGrad'),
      signatureParams(fn, ctx, true),
      f.createTupleTypeNode([fn.aux ? typeFromText(ctx.returnType) : type`number`, grads()]),
      stmts`return ${handedOut(fn, ctx, 'valueAndGrad', valueAndVjp(f.createNumericLiteral(1)))};`,
      fn.aux
        ? `[{ loss, ${fn.aux.map((a) => a.field).join(', ')} } of ${fn.name}(...), the gradient of loss] from one forward and one reverse sweep; the auxiliary results get no derivative.`
        : `[${fn.name}(...), its gradient] from one forward and one reverse sweep${transientDoc(fn)}`,
    ),
  ];
}

/** Do `grad_f` / `valueAndGrad_f` return tensors (a Tensor-valued f, or a gradient with respect to tensors)? Gradients of numbers and arrays have nothing to hand out. */
function handsOutTensors(fn: IRFunction): boolean {
  return isTensorValued(fn) || fn.params.some((p) => p.wrt && holdsTensors(p.type));
}

function holdsTensors(t: VarType): boolean {
  if (t.kind === 'tensor') return true;
  if (t.kind === 'array') return holdsTensors(t.elem);
  if (t.kind === 'tuple') return t.elems.some(holdsTensors);
  if (t.kind === 'object') return t.fields.some((x) => holdsTensors(x.type));
  return false;
}

/** What the doc comment of `grad_f` and `valueAndGrad_f` says about the lifetime of their results (runtime/lifetimes.ts). */
function transientDoc(fn: IRFunction): string {
  return handsOutTensors(fn) ? '. The tensors it returns are transient: an optimizer step releases the gradients, the next call releases the rest; retain() keeps them.' : '.';
}

/**
 * `handOut(valueAndGrad_f, call, [args])` or `handOutGrad(grad_f, call, [args])`:
 * the tensors the call made become transient (runtime/lifetimes.ts `handOut`).
 */
function handedOut(fn: IRFunction, ctx: EmitContext, kind: 'grad' | 'valueAndGrad', call: ts.Expression): ts.Expression {
  if (!handsOutTensors(fn)) return kind === 'grad' ? f.createElementAccessExpression(call, 1) : call;
  const self = id(ctx.module.ownExport(exportName(fn, kind)));
  const args = f.createArrayLiteralExpression(forwardedArgs(fn));
  return f.createCallExpression(runtimeRef(kind === 'grad' ? 'handOutGrad' : 'handOut'), undefined, [self, call, args]);
}

/** For a Tensor-valued `f` (a layer helper): `vjp_f(args..., dy)`, the cotangent `dy` (a Tensor of the result's shape) pulled back. */
function tensorWrappers(fn: IRFunction, ctx: EmitContext): ts.Statement[] {
  const wrt = fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ');
  const seed = ctx.module.forFunction(ctx.userNames).seed();
  const call = f.createCallExpression(id(exportName(fn, 'valueAndVjp')), undefined, [...forwardedArgs(fn), id(seed)]);
  const decl = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'vjp'),
    undefined,
    [...signatureParams(fn, ctx), param(seed, type`Tensor`)],
    gradsType(fn, ctx),
    f.createBlock(stmts`return ${call}[1];`, true),
  );
  // A Tensor-valued f whose result is 0-d at run time (a loss kept on the device) also has a gradient.
  const scalar = f.createCallExpression(id(exportName(fn, 'valueAndVjp')), undefined, [...forwardedArgs(fn), f.createCallExpression(runtimeRef('scalarSeed'), undefined, [])]);
  const exported = (name: string, result: ts.TypeNode, body: ts.Statement[], doc: string) =>
    docComment(f.createFunctionDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], undefined, name, undefined, signatureParams(fn, ctx, true), result, f.createBlock(body, true)), doc);
  return [
    docComment(decl, `Reverse mode: the cotangent ${seed} (shaped like ${fn.name}'s result) pulled back to (${wrt}).`),
    exported(exportName(fn, 'grad'), gradsType(fn, ctx), stmts`return ${handedOut(fn, ctx, 'grad', scalar)};`, `The gradient of ${fn.name}, whose result must be a 0-d tensor (a loss that stays on the device)${transientDoc(fn)}`),
    exported(
      exportName(fn, 'valueAndGrad'),
      f.createTupleTypeNode([type`Tensor`, gradsType(fn, ctx)]),
      stmts`return ${handedOut(fn, ctx, 'valueAndGrad', scalar)};`,
      `[${fn.name}(...), its gradient] from one forward and one reverse sweep; the value is the 0-d tensor itself, read it when needed (await loss.data())${transientDoc(fn)}`,
    ),
  ];
}

/** For a vector-valued `f`: `vjp_f` and `jacobian_f` (reverse sweeps by rows or forward sweeps by columns, whichever is fewer). */
function vectorWrappers(fn: IRFunction, ctx: EmitContext): ts.Statement[] {
  const wrt = fn.params.filter((p) => p.wrt);
  const wrtList = wrt.map((p) => p.name).join(', ');
  const exported = (name: string, params: ts.ParameterDeclaration[], result: ts.TypeNode, body: ts.Statement[], doc: string) =>
    docComment(f.createFunctionDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], undefined, name, undefined, params, result, f.createBlock(body, true)), doc);
  const call = (kind: 'jvp' | 'vjp' | 'valueAndVjp', extra: ts.Expression[]) => f.createCallExpression(id(ctx.module.ownExport(exportName(fn, kind))), undefined, [...forwardedArgs(fn), ...extra]);

  const vn = ctx.module.forFunction(ctx.userNames);
  const seed = vn.seed();
  const vjp = exported(exportName(fn, 'vjp'), [...signatureParams(fn, ctx), param(seed, type`ArrayLike<number>`)], gradsType(fn, ctx), stmts`return ${call('valueAndVjp', [id(seed)])}[1];`, `Reverse mode: the output cotangent ${seed} pulled back to (${wrtList}).`);

  const jn = ctx.module.forFunction(ctx.userNames);
  const [inputs, nIn, zero, value, nOut, row, j, t] = ['inputs', 'nIn', 'zero', 'value', 'nOut', 'row', 'j', 't'].map((n) => jn.fresh(n)) as [string, string, string, string, string, string, string, string];
  const inputList = f.createAsExpression(f.createArrayLiteralExpression(wrt.map((p) => id(p.name))), f.createTypeReferenceNode('const'));
  // The output count comes from a tuple return type; only arrays of unknown length need a forward sweep to count.
  const outputs = fn.returnType.kind === 'tuple'
    ? stmts`const ${nOut} = ${fn.returnType.elems.length};`
    : stmts`
        const ${zero} = basisLike(${inputs}, -1);
        const [${value}] = ${call('jvp', wrt.map((_, i) => expr`${zero}[${i}]`))};
        const ${nOut} = ${value}.length;`;
  const byRows = f.createArrowFunction(undefined, undefined, [param(row)], undefined, undefined, expr`flatten(${call('vjp', [id(row)])})`);
  const byColumns = f.createArrowFunction(undefined, undefined, [param(j)], undefined, undefined, f.createBlock(stmts`
    const ${t} = basisLike(${inputs}, ${j});
    return Array.from(${call('jvp', wrt.map((_, i) => expr`${t}[${i}]`))}[1]);`, true));
  const body = stmts`
    const ${inputs} = ${inputList};
    const ${nIn} = countNumbers(${inputs});
    ${outputs};
    if (${nOut} <= ${nIn}) return jacobianByRows(${nOut}, ${byRows});
    return jacobianByColumns(${nOut}, ${nIn}, ${byColumns});`;
  const jacobian = exported(
    exportName(fn, 'jacobian'),
    signatureParams(fn, ctx, true),
    type`number[][]`,
    body,
    `The Jacobian of ${fn.name}: one row per output, one column per number of (${wrtList}), flattened in order.\nUses one reverse sweep per output or one forward sweep per input, whichever is fewer.`,
  );
  return [vjp, jacobian, ...jacobianVariants(fn, ctx)];
}
