/**
 * Second derivatives by forward over reverse, and the Jacobian variants.
 *
 * A function tagged `@differentiable order(2)` (scalar-valued) gets, beside
 * its first-order derivatives:
 *   - `jvp_grad_f(x, dx)`: [grad f(x), H(x) dx], the forward mode of its
 *     gradient;
 *   - `valueAndVjp_grad_f(x, u)`: [grad f(x), H(x) u] (H is symmetric, so
 *     the reverse mode of the gradient is the same product); with
 *     `jvp_grad_f` it makes `grad_f` a differentiable callee
 *     (frontend/generated-callees.ts);
 *   - `hvp_f(x, v)`: H(x) v, and `hessian_f(x)`: H(x) as number[][], one
 *     Hessian-vector product per input number.
 *
 * `jvp_grad_f` is not written by hand: the reverse code the compiler emits
 * for f is turned into a differentiable function `grad_f` of the language
 * the front end accepts (its tapes become local arrays with push and pop,
 * the seed the constant 1, the result the gradient alone), which is put in
 * a virtual source file beside the user's, lowered like user code and
 * differentiated with the forward transform. The virtual file is removed
 * once the module is emitted.
 *
 * A vector-valued function gets `jacfwd_f` (one forward sweep per input
 * number) and `jacrev_f` (one reverse sweep per output) beside
 * `jacobian_f`, which picks the cheaper one.
 */
import * as path from 'node:path';
import { ts } from 'ts-morph';
import type { SourceFile } from 'ts-morph';
import type { Activity } from '../analysis/activity.ts';
import type { Recording } from '../analysis/recording.ts';
import { CompileError, diagnosticAt, fail } from '../frontend/diagnostics.ts';
import { discover, type Annotated } from '../frontend/discover.ts';
import type { Lowerer } from '../frontend/lower.ts';
export { tagOrder } from '../frontend/generated-callees.ts';
import type { IRFunction, Param, Stmt } from '../ir/ir.ts';
import { emitVjp } from '../transforms/reverse.ts';
import { exportName, forwardedArgs, gradsType, isVectorValued, param, signatureParams, type EmitContext } from '../transforms/common.ts';
import { id } from './nodes.ts';
import { ModuleNames } from './names.ts';
import { docComment, printNode } from './printer.ts';
import { simplify } from './simplify.ts';
import { expr, runtimeRef, runtimeRefOf, stmts, type, typeFromText } from './template.ts';
import type { UserImports } from './module.ts';

const f = ts.factory;

/** The second-order function (`grad_f`) made from each function's reverse code, by its IR. */
const secondOrderOf = new WeakMap<IRFunction, IRFunction>();

/** The function a virtual `grad_f` is the gradient of, or undefined for user functions. */
export function gradientOf(fn: IRFunction): IRFunction | undefined {
  return secondOrderOf.get(fn);
}

/** Exports the second-order and Jacobian wrappers add for these functions, for the naming authority. */
export function higherOrderExports(fns: readonly IRFunction[]): string[] {
  return fns.flatMap((fn) => {
    const of = secondOrderOf.get(fn);
    if (of) return [`hvp_${of.name}`, `hessian_${of.name}`, ...['jvp_vjp', 'valueAndVjp_vjp', 'jvp_jvp', 'valueAndVjp_jvp'].map((k) => `${k}_${of.name}`)];
    return isVectorValued(fn) ? [`jacfwd_${fn.name}`, `jacrev_${fn.name}`] : [];
  });
}

/** What the pipeline lends the planner: its emission context and its analyses. */
export interface PipelineHooks {
  emitContext(a: Annotated, fn: IRFunction, L: Lowerer, sf: SourceFile, names: ModuleNames, user: UserImports): EmitContext;
  newUserImports(): UserImports;
  analyze(a: Annotated, sf: SourceFile): { ir: IRFunction; lowerer: Lowerer; activity: Activity; recording: Recording };
}

export interface SecondOrderPlan {
  a: Annotated;
  ir: IRFunction;
  lowerer: Lowerer;
  activity: Activity;
  recording: Recording;
  /** The virtual source file holding `grad_f`; emission reads its types and imports. */
  sf: SourceFile;
  /** Removes the virtual file from the project. */
  dispose(): void;
  /** The local tapes of `grad_f` by name: which shared tape ('values', 'control') they stand for. */
  tapes: ReadonlyMap<string, string>;
}

/**
 * Makes `grad_f`, the differentiable form of f's reverse code, lowered and
 * analysed, ready for the forward transform. Throws located CompileErrors
 * where second derivatives of f are not supported.
 */
export function planSecondOrder(a: Annotated, fn: IRFunction, L: Lowerer, act: Activity, rec: Recording, sf: SourceFile, hooks: PipelineHooks): SecondOrderPlan {
  checkSupported(a, fn);
  // The reverse code, emitted on its own (its own naming scope and imports), without zero guards.
  const names = new ModuleNames(
    [...fn.locals.keys(), ...fn.params.map((p) => p.name)],
    (['jvp', 'valueAndVjp', 'vjp', 'grad', 'valueAndGrad', 'jacobian'] as const).map((k) => exportName(fn, k)),
  );
  const user = hooks.newUserImports();
  const ctx = hooks.emitContext(a, fn, L, sf, names, user);
  const reverse = emitVjp(fn, act, rec, Object.assign(Object.create(ctx) as EmitContext, { noZeroGuards: true, noCounterGuards: true }));
  const [simplified] = simplify([reverse]);
  const runtime = new Map<string, string>();
  const resolved = renameRuntime(simplified!, names, runtime);
  const gradName = `grad_${fn.name}`;
  const body = differentiableForm(printNode(resolved), gradName, a, fn, (name) => {
    const l = names.runtime(name);
    runtime.set(name, l);
    return l;
  });
  const wrt = fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ');
  const text = [...importLines(user, runtime), `/** @differentiable wrt(${wrt}) */`, body.text, ''].join('\n');
  const virtualPath = path.join(path.dirname(sf.getFilePath()), `${sf.getBaseNameWithoutExtension()}.wengert-order2-${fn.name}.ts`);
  const project = sf.getProject();
  const vsf = project.createSourceFile(virtualPath, text, { overwrite: true });
  const dispose = () => {
    if (!vsf.wasForgotten()) project.removeSourceFile(vsf);
  };
  if (process.env.WENGERT_DEBUG_ORDER2) console.error(text);
  try {
    const found = discover(vsf).found.find((x) => x.name === gradName);
    if (!found) throw new Error(`the reverse code of ${fn.name} lost its tag`);
    const analyzed = hooks.analyze(found, vsf);
    remapLocations(analyzed.ir, fn, text);
    secondOrderOf.set(analyzed.ir, fn);
    return { a: found, ...analyzed, sf: vsf, dispose, tapes: body.tapes };
  } catch (e) {
    dispose();
    const why = e instanceof CompileError ? `${e.diagnostic.message} (${path.basename(e.diagnostic.file)}:${e.diagnostic.line})` : (e as Error).message;
    throw new CompileError(diagnosticAt(a.annotation, `internal error: the reverse code of ${fn.name} could not be differentiated again: ${why}`, 'this is a wengert bug; remove order(2) from the tag to build the first derivatives'));
  }
}

/** What order(2) supports: a scalar function of numbers, or of one array or Tensor, that calls no other differentiable function. */
function checkSupported(a: Annotated, fn: IRFunction): void {
  const at = a.annotation;
  if (fn.self) fail(at, `order(2) is not supported on methods (${a.name})`, 'make it a @differentiable function that takes the object as a parameter');
  if (fn.returnType.kind !== 'number' || fn.aux) {
    fail(at, `order(2) needs ${a.name} to return one number`, 'second derivatives (hvp_, hessian_) are of scalar functions; for a vector-valued function use jacobian_, jacfwd_ or jacrev_');
  }
  if (fn.outParam) fail(at, `order(2) is not supported on a function that fills an array (${a.name})`, 'return the value instead');
  const wrt = fn.params.filter((p) => p.wrt);
  const structured = wrt.filter((p) => p.type.kind !== 'number');
  if (structured.length > 1 || (structured.length === 1 && wrt.length > 1)) {
    fail(at, `order(2) of ${a.name} needs its wrt parameters to be numbers, or one array or Tensor`, 'differentiate with respect to numbers, or pack the inputs into one Float64Array');
  }
  const only = structured[0]?.type;
  const tensorRecord = only?.kind === 'object' && only.fields.every((x) => x.type.kind === 'tensor');
  if (only && !tensorRecord && !(only.kind === 'tensor' || (only.kind === 'array' && only.elem.kind === 'number'))) {
    fail(at, `order(2) of ${a.name}: its parameter ${structured[0]!.name} is ${only.kind === 'object' ? 'an object' : `a ${only.kind}`}, and a gradient of that shape cannot be differentiated again yet`, 'differentiate with respect to numbers, one number array or one Tensor');
  }
  const calls: Stmt[] = [];
  const visit = (list: readonly Stmt[]) => {
    for (const s of list) {
      if (s.kind === 'assign' && s.expr.kind === 'call') calls.push(s);
      if (s.kind === 'if') {
        visit(s.then);
        visit(s.else);
      }
      if (s.kind === 'loop') visit(s.body);
    }
  };
  visit(fn.body);
  const call = calls[0];
  if (call && call.kind === 'assign' && call.expr.kind === 'call') {
    fail(at, `order(2) of ${a.name}: it calls ${call.expr.callee.name} (line ${call.loc.line}), and second derivatives through calls are not supported yet`, `write ${call.expr.callee.name}'s body into ${a.name}, or leave out order(2)`);
  }
}

/** The reverse function with runtime references under their local names; `used` collects them (export -> local). */
function renameRuntime(decl: ts.Statement, names: ModuleNames, used: Map<string, string>): ts.Statement {
  const ctx = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isIdentifier(n)) {
      const runtime = runtimeRefOf(n);
      if (runtime === undefined) return n;
      const local = names.runtime(runtime);
      used.set(runtime, local);
      return local === n.text ? n : f.createIdentifier(local);
    }
    return ts.visitEachChild(n, visit, ctx);
  };
  return visit(decl) as ts.Statement;
}

/** Import lines of the virtual file: the user's modules as the generated file imports them, and the runtime. */
function importLines(user: UserImports, runtime: Map<string, string>): string[] {
  const modules = new Map<string, { values: Map<string, string>; types: Map<string, string> }>();
  const entry = (m: string) => {
    let e = modules.get(m);
    if (!e) modules.set(m, (e = { values: new Map(), types: new Map() }));
    return e;
  };
  for (const [m, map] of user.values) for (const [e, l] of map) entry(m).values.set(l, e);
  for (const [m, map] of user.types) for (const [e, l] of map) entry(m).types.set(l, e);
  for (const [e, l] of runtime) entry('wengert').values.set(l, e);
  const lines: string[] = [];
  for (const [m, { values, types }] of modules) {
    const spec = (local: string, exported: string, typeOnly: boolean) => `${typeOnly ? 'type ' : ''}${exported === local ? local : `${exported} as ${local}`}`;
    const parts = [...[...values].map(([l, e]) => spec(l, e, false)), ...[...types].filter(([l]) => !values.has(l)).map(([l, e]) => spec(l, e, true))];
    if (parts.length) lines.push(`import { ${parts.join(', ')} } from ${JSON.stringify(m)};`);
  }
  return lines;
}

/**
 * The text of `valueAndVjp_f` turned into `grad_f`, a function the front end
 * differentiates: the shared tapes become local arrays (their pops non-null),
 * the seed parameter the constant 1, and the result the gradient alone.
 */
function differentiableForm(reverseText: string, gradName: string, a: Annotated, fn: IRFunction, local: (runtimeName: string) => string): { text: string; tapes: Map<string, string> } {
  const src = ts.createSourceFile('reverse.ts', reverseText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const decl = src.statements.find(ts.isFunctionDeclaration);
  if (!decl || !decl.body || !decl.name || !decl.type || !ts.isTupleTypeNode(decl.type)) throw new Error('unexpected shape of the reverse code');
  const edits: { start: number; end: number; text: string }[] = [];
  const text = (n: ts.Node) => reverseText.slice(n.getStart(src), n.getEnd());
  edits.push({ start: decl.name.getStart(src), end: decl.name.getEnd(), text: gradName });
  const params = decl.parameters;
  const seed = params[params.length - 1]!;
  const seedName = seed.name.getText(src);
  const seedStart = params.length > 1 ? params[params.length - 2]!.getEnd() : seed.getStart(src);
  edits.push({ start: seedStart, end: seed.getEnd(), text: '' });
  const gradType = decl.type.elements[1]!;
  edits.push({ start: decl.type.getStart(src), end: decl.type.getEnd(), text: text(gradType) });
  edits.push({ start: decl.body.getStart(src) + 1, end: decl.body.getStart(src) + 1, text: `\n  const ${seedName} = 1;` });
  const tapes = new Map<string, string>();
  // A structured gradient (`const dp = lazyZerosLike(p)`, leaves `dp.W`, `fillZeros(dp, p)` at the end):
  // one tensor local per leaf (`dp__W`, starting as zeros), returned as an object literal.
  const structured = new Map<string, string[]>();
  const nullable = new Set<string>();
  let branches = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isCallExpression(n.initializer) && ts.isIdentifier(n.initializer.expression) && n.initializer.expression.text === local('lazyZerosLike')) {
      const [arg] = n.initializer.arguments;
      const t = arg && ts.isIdentifier(arg) ? fn.params.find((p) => p.name === arg.text)?.type : undefined;
      if (!t || t.kind !== 'object' || !t.fields.every((x) => x.type.kind === 'tensor')) {
        fail(a.annotation, `order(2) of ${a.name}: its gradient is a structure wengert cannot differentiate again yet`, 'differentiate with respect to an object whose fields are tensors, numbers, or one array');
      }
      const leaves = t.fields.map((x) => x.name);
      const dp = n.name.text;
      structured.set(dp, leaves);
      const decl = n.parent;
      edits.push({ start: decl.getStart(src), end: decl.getEnd(), text: `let ${leaves.map((x) => `${dp}__${x} = ${local('zerosLike')}(${arg!.getText(src)}.${x})`).join(', ')}` });
      return;
    }
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && structured.has(n.expression.text)) {
      edits.push({ start: n.getStart(src), end: n.getEnd(), text: `${n.expression.text}__${n.name.text}` });
      return;
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === local('fillZeros') && n.arguments[0] && ts.isIdentifier(n.arguments[0]) && structured.has(n.arguments[0].text)) {
      const dp = n.arguments[0].text;
      edits.push({ start: n.getStart(src), end: n.getEnd(), text: `{ ${structured.get(dp)!.map((x) => `${x}: ${dp}__${x}`).join(', ')} }` });
      return;
    }
    // `let dX: Tensor | null = null`: the cotangent of a tensor X starts as zeros of X's shape instead,
    // so that it is always a tensor (`dX !== null` is true, `dX ?? z` is dX).
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer?.kind === ts.SyntaxKind.NullKeyword) {
      const primal = primalOfCotangent(n.name.text, fn, decl);
      if (primal) {
        nullable.add(n.name.text);
        edits.push({ start: n.name.getEnd(), end: n.getEnd(), text: ` = ${local('zerosLike')}(${primal})` });
        return;
      }
    }
    // `let dy: Tensor | null = asTensor(...)`: the value is a tensor, and so is the variable.
    if (ts.isVariableDeclaration(n) && n.type && n.initializer && n.initializer.kind !== ts.SyntaxKind.NullKeyword && ts.isUnionTypeNode(n.type) && n.type.types.some((t) => ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword)) {
      edits.push({ start: n.name.getEnd(), end: n.type.getEnd(), text: '' });
    }
    if (ts.isBinaryExpression(n) && ts.isIdentifier(n.left) && nullable.has(n.left.text)) {
      const op = n.operatorToken.kind;
      if ((op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsEqualsToken) && n.right.kind === ts.SyntaxKind.NullKeyword) {
        edits.push({ start: n.getStart(src), end: n.getEnd(), text: op === ts.SyntaxKind.ExclamationEqualsEqualsToken ? 'true' : 'false' });
        return;
      }
      if (op === ts.SyntaxKind.QuestionQuestionToken) {
        edits.push({ start: n.left.getEnd(), end: n.getEnd(), text: '' });
        return;
      }
    }
    // Tensor cotangents are never null here (the leaves start as zeros): addTensor is add.
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === local('addTensor')) {
      edits.push({ start: n.expression.getStart(src), end: n.expression.getEnd(), text: local('add') });
    }
    if (ts.isVariableDeclaration(n) && n.initializer && ts.isPropertyAccessExpression(n.initializer) && ts.isIdentifier(n.name)) {
      const which = n.initializer.name.text;
      const isTape = ts.isIdentifier(n.initializer.expression) && ['values', 'control', 'refs'].includes(which) && /tape/i.test(n.initializer.expression.text);
      if (isTape) {
        if (which === 'refs') fail(a.annotation, `order(2) of ${a.name}: its reverse sweep records tensors or flags (loops or branches over tensor values), which cannot be differentiated again yet`, 'write the function without branches or loops over tensors, or leave out order(2)');
        tapes.set(n.name.text, which);
        edits.push({ start: n.initializer.getStart(src), end: n.initializer.getEnd(), text: '[] as number[]' });
      }
    }
    // The cotangent of an array parameter starts as zeros of its length.
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'zerosLike' && n.arguments.length === 1 && ts.isIdentifier(n.arguments[0]!)) {
      const arg = n.arguments[0].text;
      const t = fn.params.find((p) => p.name === arg)?.type;
      if (t?.kind === 'array') {
        const made = t.ctor === 'Array' ? `new Array<number>(${arg}.length).fill(0)` : `new ${t.ctor}(${arg}.length)`;
        edits.push({ start: n.getStart(src), end: n.getEnd(), text: made });
      }
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'pop' && ts.isIdentifier(n.expression.expression) && tapes.has(n.expression.expression.text)) {
      // `if (controlTape.pop() === 1)`: the front end takes no pop in a condition; pop into a local first.
      let at: ts.Node = n;
      while (!ts.isStatement(at.parent)) at = at.parent;
      const owner = at.parent;
      if (ts.isIfStatement(owner) && owner.expression === at) {
        const branch = `wengertBranch${++branches}`;
        edits.push({ start: owner.getStart(src), end: owner.getStart(src), text: `const ${branch} = ${text(n)}!;\n` });
        edits.push({ start: n.getStart(src), end: n.getEnd(), text: branch });
        return;
      }
      edits.push({ start: n.getEnd(), end: n.getEnd(), text: '!' });
    }
    ts.forEachChild(n, visit);
  };
  visit(decl.body);
  const last = decl.body.statements[decl.body.statements.length - 1];
  if (!last || !ts.isReturnStatement(last) || !last.expression || !ts.isArrayLiteralExpression(last.expression) || last.expression.elements.length !== 2) {
    throw new Error('the reverse code does not end with return [value, gradient]');
  }
  let gradient = last.expression.elements[1]!;
  // `dW ?? zerosLike(W)` for a Tensor parameter: dW, declared as zeros instead of null (below).
  if (ts.isBinaryExpression(gradient) && gradient.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) gradient = gradient.left;
  edits.push({ start: last.expression.getStart(src), end: gradient.getStart(src), text: '' });
  edits.push({ start: gradient.getEnd(), end: last.expression.getEnd(), text: '' });
  edits.sort((x, y) => y.start - x.start);
  let out = reverseText.slice(decl.getStart(src), decl.getEnd());
  const base = decl.getStart(src);
  for (const e of edits) out = out.slice(0, e.start - base) + e.text + out.slice(e.end - base);
  return { text: out, tapes };
}

/**
 * The tensor whose cotangent `name` is (`dX` or `X_d`, as emit/names.ts
 * makes them), when it is a tensor parameter or local declared before the
 * cotangent in the reverse code; else null.
 */
function primalOfCotangent(name: string, fn: IRFunction, decl: ts.FunctionDeclaration): string | null {
  const candidates = [name.startsWith('d') ? name.slice(1) : null, name.endsWith('_d') ? name.slice(0, -2) : null].filter((x): x is string => !!x);
  for (const c of candidates) {
    const t = fn.locals.get(c) ?? fn.params.find((p) => p.name === c)?.type;
    if (t?.kind !== 'tensor') continue;
    if (fn.params.some((p) => p.name === c)) return c;
    // A local: declared at the top level of the reverse function (the forward sweep).
    const declared = decl.body!.statements.some((st) => ts.isVariableStatement(st) && st.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === c));
    if (declared) return c;
  }
  return null;
}

/**
 * Source comments of `grad_f` name the user's lines: each statement of the
 * virtual file takes the line of the nearest `// model.ts:N` comment above it.
 */
function remapLocations(ir: IRFunction, of: IRFunction, text: string): void {
  const lines = text.split('\n');
  const mark = new RegExp(`^\\s*// ${of.sourceFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`);
  const sourceLine: number[] = [];
  let current = of.loc.line;
  lines.forEach((l, i) => {
    const m = mark.exec(l);
    if (m) current = Number(m[1]);
    sourceLine[i + 1] = current;
  });
  const visit = (list: Stmt[]) => {
    for (const s of list) {
      s.loc = { line: sourceLine[s.loc.line] ?? of.loc.line, column: 1 };
      if (s.kind === 'if') {
        visit(s.then);
        visit(s.else);
      }
      if (s.kind === 'loop') visit(s.body);
    }
  };
  visit(ir.body);
  ir.sourceFile = of.sourceFile;
  ir.loc = of.loc;
}

const exported = (name: string, params: ts.ParameterDeclaration[], result: ts.TypeNode, body: ts.Statement[], doc: string) =>
  docComment(f.createFunctionDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], undefined, name, undefined, params, result, f.createBlock(body, true)), doc);

/**
 * The wrappers of the second derivatives of `of`, around `jvp_grad_f`
 * (emitted from `grad`, the virtual function): `valueAndVjp_grad_f`,
 * `hvp_f` and `hessian_f`.
 */
export function secondOrderWrappers(grad: IRFunction, of: IRFunction, ctx: EmitContext): ts.Statement[] {
  const wrt = grad.params.filter((p) => p.wrt);
  const wrtList = wrt.map((p) => p.name).join(', ');
  const jvp = ctx.module.ownExport(exportName(grad, 'jvp'));
  const names = ctx.module.forFunction(ctx.userNames);
  // The direction of the Hessian-vector product: v, or v_x, v_y for several parameters.
  const tangents = wrt.map((p) => names.fresh(wrt.length === 1 ? 'v' : `v_${p.name}`));
  const tangentParams = wrt.map((p, i) => param(tangents[i]!, typeFromParam(p, ctx)));
  const gradType = () => gradsType(grad, ctx);
  const callJvp = (ts_: ts.Expression[]) => f.createCallExpression(id(jvp), undefined, [...forwardedArgs(grad), ...ts_]);

  // The reverse mode of the gradient: H is symmetric, so H^T u = H u, one forward-over-reverse sweep.
  const seed = names.seed();
  const seedType = wrt.length === 1 && wrt[0]!.type.kind !== 'array' ? typeFromParam(wrt[0]!, ctx) : type`ArrayLike<number>`;
  const seedTangents = wrt.length === 1
    ? [wrt[0]!.type.kind === 'array' ? expr`${wrt[0]!.type.ctor === 'Array' ? id('Array') : id(wrt[0]!.type.ctor)}.from(${id(seed)})` : id(seed)]
    : wrt.map((_, i) => expr`${id(seed)}[${i}]!`);
  const valueAndVjp = exported(
    exportName(grad, 'valueAndVjp'),
    [...signatureParams(grad, ctx), param(seed, seedType)],
    f.createTupleTypeNode([gradType(), gradType()]),
    stmts`return ${callJvp(seedTangents)};`,
    `Reverse mode of grad_${of.name}: [its gradient, ${seed} times the Hessian] (the Hessian is symmetric, so this is one Hessian-vector product).`,
  );
  const hvp = exported(
    `hvp_${of.name}`,
    [...signatureParams(grad, ctx), ...tangentParams],
    gradType(),
    stmts`return ${callJvp(tangents.map((t) => id(t)))}[1];`,
    `The Hessian of ${of.name} times (${tangents.join(', ')}), by forward mode over reverse mode (one sweep, a few times a gradient's cost).`,
  );
  const hn = ctx.module.forFunction(ctx.userNames);
  const [inputs, n, j, t] = ['inputs', 'n', 'j', 't'].map((x) => hn.fresh(x)) as [string, string, string, string];
  const inputList = f.createAsExpression(f.createArrayLiteralExpression(wrt.map((p) => id(p.name))), f.createTypeReferenceNode('const'));
  const column = f.createArrowFunction(undefined, undefined, [param(j)], undefined, undefined, f.createBlock(stmts`
    const ${t} = basisLike(${inputs}, ${j});
    return flatten(${callJvp(wrt.map((_, i) => expr`${t}[${i}]`))}[1]);`, true));
  const hessian = exported(
    `hessian_${of.name}`,
    signatureParams(grad, ctx, true),
    type`number[][]`,
    stmts`
      const ${inputs} = ${inputList};
      const ${n} = countNumbers(${inputs});
      return jacobianByColumns(${n}, ${n}, ${column});`,
    `The Hessian of ${of.name} with respect to (${wrtList}), flattened in order: one Hessian-vector product per input number.`,
  );
  return [valueAndVjp, hvp, hessian, ...callableDerivatives(grad, of, ctx)];
}

/**
 * For a function of numbers: the derivatives of `vjp_f` and `jvp_f`, so
 * that they too may be called inside differentiable code
 * (frontend/generated-callees.ts), from `valueAndGrad_f` and `jvp_grad_f`
 * (g the gradient, H the Hessian):
 *   vjp_f(x, dy) = dy g:   tangent dy H tx + tdy g;   cotangent u: (dy H u, <g, u>)
 *   jvp_f(x, dx) = [f, <g, dx>]:   tangent [<g, tx>, <H tx, dx> + <g, tdx>];   cotangent (u0, u1): (u0 g + u1 H dx, u1 g)
 */
function callableDerivatives(grad: IRFunction, of: IRFunction, ctx: EmitContext): ts.Statement[] {
  const wrt = grad.params.filter((p) => p.wrt);
  if (!wrt.every((p) => p.type.kind === 'number')) return [];
  const n = wrt.length;
  const jvpGrad = (args: ts.Expression[]) => f.createCallExpression(id(ctx.module.ownExport(exportName(grad, 'jvp'))), undefined, [...forwardedArgs(grad), ...args]);
  const valueAndGrad = f.createCallExpression(id(ctx.module.ownExport(exportName(of, 'valueAndGrad'))), undefined, forwardedArgs(grad));
  const num = () => f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
  const tuple = (k: number) => (k === 1 ? num() : f.createTupleTypeNode(Array.from({ length: k }, num)));
  const arr = (items: ts.Expression[]) => f.createArrayLiteralExpression(items);
  const list = (items: ts.Expression[]) => (items.length === 1 ? items[0]! : arr(items));
  const ret = (a: ts.Expression, b: ts.Expression) => f.createReturnStatement(arr([a, b]));
  const at = (v: string, i: number) => (n === 1 ? id(v) : expr`${v}[${i}]`);
  const dotWith = (v: string, others: ts.Expression[]) => others.map((o, i) => expr`${at(v, i)} * ${o}`).reduce((a, b) => expr`${a} + ${b}`);
  const exportedFn = (name: string, params: ts.ParameterDeclaration[], result: ts.TypeNode, body: ts.Statement[], doc: string) => exported(name, [...signatureParams(grad, ctx), ...params], result, body, doc);
  const out: ts.Statement[] = [];

  const vn = ctx.module.forFunction(ctx.userNames);
  const [dy, tdy, g, h, u, hu] = ['dy', 'tdy', 'g', 'h', 'u', 'hu'].map((x) => vn.fresh(x)) as [string, string, string, string, string, string];
  const tx = wrt.map((p) => vn.fresh(`t_${p.name}`));
  const uAt = (i: number) => (n === 1 ? id(u) : expr`${u}[${i}]!`);
  out.push(
    exportedFn(
      `jvp_vjp_${of.name}`,
      [param(dy, num()), ...tx.map((t) => param(t, num())), param(tdy, num())],
      f.createTupleTypeNode([tuple(n), tuple(n)]),
      [
        ...stmts`const [${g}, ${h}] = ${jvpGrad(tx.map((t) => id(t)))};`,
        ret(list(wrt.map((_, i) => expr`${dy} * ${at(g, i)}`)), list(wrt.map((_, i) => expr`${dy} * ${at(h, i)} + ${tdy} * ${at(g, i)}`))),
      ],
      `Forward mode of vjp_${of.name}(..., ${dy}) = ${dy} times the gradient: its tangent along (${[...tx, tdy].join(', ')}).`,
    ),
    exportedFn(
      `valueAndVjp_vjp_${of.name}`,
      [param(dy, num()), param(u, n === 1 ? num() : type`ArrayLike<number>`)],
      f.createTupleTypeNode([tuple(n), tuple(n + 1)]),
      [
        ...stmts`const [${g}, ${hu}] = ${jvpGrad(wrt.map((_, i) => uAt(i)))};`,
        ret(list(wrt.map((_, i) => expr`${dy} * ${at(g, i)}`)), arr([...wrt.map((_, i) => expr`${dy} * ${at(hu, i)}`), wrt.map((_, i) => expr`${at(g, i)} * ${uAt(i)}`).reduce((a, b) => expr`${a} + ${b}`)])),
      ],
      `Reverse mode of vjp_${of.name}(..., ${dy}): [its value, the cotangent ${u} pulled back to (${wrt.map((p) => p.name).join(', ')}, ${dy})].`,
    ),
  );

  const jn = ctx.module.forFunction(ctx.userNames);
  const dx = wrt.map((p) => jn.fresh(`d_${p.name}`));
  const tx2 = wrt.map((p) => jn.fresh(`t_${p.name}`));
  const tdx = wrt.map((p) => jn.fresh(`td_${p.name}`));
  const [value, g2, ht, w, hd] = ['value', 'g', 'ht', 'w', 'hd'].map((x) => jn.fresh(x)) as [string, string, string, string, string];
  const dxIds = () => dx.map((d) => id(d));
  out.push(
    exportedFn(
      `jvp_jvp_${of.name}`,
      [...dx.map((d) => param(d, num())), ...tx2.map((t) => param(t, num())), ...tdx.map((t) => param(t, num()))],
      f.createTupleTypeNode([tuple(2), tuple(2)]),
      [
        ...stmts`
          const [${value}, ${g2}] = ${valueAndGrad};
          const [, ${ht}] = ${jvpGrad(tx2.map((t) => id(t)))};`,
        ret(arr([id(value), dotWith(g2, dxIds())]), arr([dotWith(g2, tx2.map((t) => id(t))), expr`${dotWith(ht, dxIds())} + ${dotWith(g2, tdx.map((t) => id(t)))}`])),
      ],
      `Forward mode of jvp_${of.name}: its tangent along (${[...tx2, ...tdx].join(', ')}).`,
    ),
    exportedFn(
      `valueAndVjp_jvp_${of.name}`,
      [...dx.map((d) => param(d, num())), param(w, type`ArrayLike<number>`)],
      f.createTupleTypeNode([tuple(2), tuple(2 * n)]),
      [
        ...stmts`
          const [${value}, ${g2}] = ${valueAndGrad};
          const [, ${hd}] = ${jvpGrad(dxIds())};`,
        ret(arr([id(value), dotWith(g2, dxIds())]), arr([...wrt.map((_, i) => expr`${w}[0]! * ${at(g2, i)} + ${w}[1]! * ${at(hd, i)}`), ...wrt.map((_, i) => expr`${w}[1]! * ${at(g2, i)}`)])),
      ],
      `Reverse mode of jvp_${of.name}: [its value, the cotangent ${w} of [value, tangent] pulled back to (${[...wrt.map((p) => p.name), ...dx].join(', ')})].`,
    ),
  );
  return out;
}

/**
 * The local tapes of `jvp_grad_f` (`const valueTape = [] as number[]` and
 * their tangents, used only by push and pop) as typed stacks: grad_f's own
 * tapes as the shared `tape.values` / `tape.control`, their tangents as new
 * F64Stacks. A plain array used as a stack is about 2.5x slower
 * (../shared/design.md).
 */
export function typedLocalTapes(decl: ts.FunctionDeclaration, shared: ReadonlyMap<string, string>): ts.FunctionDeclaration {
  const ctx = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;
  const candidates = new Set<string>();
  const isEmptyNumberArray = (e: ts.Expression | undefined) => !!e && ts.isAsExpression(e) && ts.isArrayLiteralExpression(e.expression) && e.expression.elements.length === 0 && ts.isArrayTypeNode(e.type) && e.type.elementType.kind === ts.SyntaxKind.NumberKeyword;
  const collect = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && isEmptyNumberArray(n.initializer)) candidates.add(n.name.text);
    ts.forEachChild(n, collect);
  };
  collect(decl);
  // Any use other than x.push(...) and x.pop() keeps the array. (Emitted trees have no parent pointers: walk with the parent in hand.)
  const check = (n: ts.Node, parent: ts.Node | undefined, grand: ts.Node | undefined): void => {
    if (ts.isIdentifier(n) && candidates.has(n.text)) {
      const method = parent && ts.isPropertyAccessExpression(parent) && parent.expression === n ? parent.name.text : null;
      const declared = parent && ts.isVariableDeclaration(parent) && parent.name === n;
      const called = !!grand && ts.isCallExpression(grand) && grand.expression === parent;
      if (!declared && !((method === 'push' || method === 'pop') && called)) candidates.delete(n.text);
    }
    ts.forEachChild(n, (c) => check(c, n, parent));
  };
  check(decl, undefined, undefined);
  if (candidates.size === 0) return decl;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && candidates.has(n.name.text)) {
      // grad_f's own tapes are the shared ones again (their pushes and pops balance in the function); their tangents get stacks of their own.
      const which = shared.get(n.name.text);
      const init = which ? f.createPropertyAccessExpression(runtimeRef('tape'), which) : f.createNewExpression(runtimeRef('F64Stack'), undefined, []);
      return f.updateVariableDeclaration(n, n.name, n.exclamationToken, undefined, init);
    }
    return ts.visitEachChild(n, visit, ctx);
  };
  return visit(decl) as ts.FunctionDeclaration;
}

function typeFromParam(p: Param, ctx: EmitContext): ts.TypeNode {
  return typeFromText(ctx.paramType(p));
}

/**
 * `jacfwd_f` (forward sweeps, one per input number) and `jacrev_f` (reverse
 * sweeps, one per output) of a vector-valued function: the two ways
 * `jacobian_f` chooses between, for callers who know which is cheaper.
 */
export function jacobianVariants(fn: IRFunction, ctx: EmitContext): ts.Statement[] {
  const wrt = fn.params.filter((p) => p.wrt);
  const wrtList = wrt.map((p) => p.name).join(', ');
  const call = (kind: 'jvp' | 'vjp', extra: ts.Expression[]) => f.createCallExpression(id(ctx.module.ownExport(exportName(fn, kind))), undefined, [...forwardedArgs(fn), ...extra]);
  const inputList = () => f.createAsExpression(f.createArrayLiteralExpression(wrt.map((p) => id(p.name))), f.createTypeReferenceNode('const'));
  const jn = ctx.module.forFunction(ctx.userNames);
  const [inputs, nIn, zero, value, nOut, row, j, t] = ['inputs', 'nIn', 'zero', 'value', 'nOut', 'row', 'j', 't'].map((n) => jn.fresh(n)) as [string, string, string, string, string, string, string, string];
  const outputs = fn.returnType.kind === 'tuple'
    ? stmts`const ${nOut} = ${fn.returnType.elems.length};`
    : stmts`
        const ${zero} = basisLike(${inputs}, -1);
        const [${value}] = ${call('jvp', wrt.map((_, i) => expr`${zero}[${i}]`))};
        const ${nOut} = ${value}.length;`;
  const byColumns = f.createArrowFunction(undefined, undefined, [param(j)], undefined, undefined, f.createBlock(stmts`
    const ${t} = basisLike(${inputs}, ${j});
    return Array.from(${call('jvp', wrt.map((_, i) => expr`${t}[${i}]`))}[1]);`, true));
  const jacfwd = exported(
    `jacfwd_${fn.name}`,
    signatureParams(fn, ctx, true),
    type`number[][]`,
    stmts`
      const ${inputs} = ${inputList()};
      const ${nIn} = countNumbers(${inputs});
      ${outputs};
      return jacobianByColumns(${nOut}, ${nIn}, ${byColumns});`,
    `The Jacobian of ${fn.name} with respect to (${wrtList}) by forward mode: one sweep per input number.`,
  );
  const rn = ctx.module.forFunction(ctx.userNames);
  const [inputs2, zero2, value2, nOut2, row2] = ['inputs', 'zero', 'value', 'nOut', 'row'].map((n) => rn.fresh(n)) as [string, string, string, string, string];
  const outputs2 = fn.returnType.kind === 'tuple'
    ? stmts`const ${nOut2} = ${fn.returnType.elems.length};`
    : stmts`
        const ${inputs2} = ${inputList()};
        const ${zero2} = basisLike(${inputs2}, -1);
        const [${value2}] = ${call('jvp', wrt.map((_, i) => expr`${zero2}[${i}]`))};
        const ${nOut2} = ${value2}.length;`;
  const byRows = f.createArrowFunction(undefined, undefined, [param(row2)], undefined, undefined, expr`flatten(${call('vjp', [id(row2)])})`);
  void row;
  const jacrev = exported(
    `jacrev_${fn.name}`,
    signatureParams(fn, ctx, true),
    type`number[][]`,
    stmts`
      ${outputs2};
      return jacobianByRows(${nOut2}, ${byRows});`,
    `The Jacobian of ${fn.name} with respect to (${wrtList}) by reverse mode: one sweep per output.`,
  );
  return [jacfwd, jacrev];
}
