/**
 * Lifetimes inserted by the compiler (docs/fusion.md, "Lifetimes"). On the
 * syntax tree of each generated derivative (after simplify and fusion):
 *
 * 1. The body runs in a scope: `const scope = beginScope();` first, the
 *    body in `try { ... } finally { endScope(scope); }`, and every
 *    `return e;` becomes `return keep(scope, e);`. At the end of the
 *    scope the runtime (runtime/lifetimes.ts) releases every tensor
 *    whose storage was made during the call and that the result does not
 *    hold, including the temporaries of runtime helpers and of callees.
 * 2. Inside, an intermediate is released right after its last use when the
 *    compiler can prove it owns its storage and nothing aliases it:
 *    `const v = op(...)` where `op` always makes new storage (elementwise
 *    ops, fused kernels, matmul and its gradients, softmax and the losses'
 *    gradients), and every read of `v` is a direct argument of a call that
 *    neither returns nor keeps that argument (the same ops, or the "like"
 *    operand of unbroadcast, broadcastLike, reduceGrad, ...). Any other
 *    read (a return, a store into an object or the tape, an assignment, a
 *    call of a derivative or of a view-making op such as reshape or
 *    unbroadcast's cotangent, which may hand `v` back) leaves `v` to the
 *    scope. A read inside a nested statement (a loop, a branch, a reverse
 *    block) counts at that statement, so `release(v)` comes after it.
 *
 * On the CPU both are free: `beginScope` returns -1 and `release` returns
 * at once (Backend.release is a no-op there).
 */
import { ts } from 'ts-morph';
import { runtimeRef, runtimeRefOf } from '../emit/template.ts';
import { isTensorPrim, tensorRuntimeNames } from '../rules/tensor.ts';
import { fusedCallOperands } from '../emit/fuse-epilogue.ts';

const f = ts.factory;

let enabled = process.env.WENGERT_LIFETIMES !== '0';

/** Turns the inserted lifetimes on or off (on unless WENGERT_LIFETIMES=0); returns the previous setting. */
export function setLifetimes(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Is `n` (a child of `p`) a declared or selected name rather than a read? */
export function isNameSlot(n: ts.Identifier, p: ts.Node | undefined): boolean {
  if (p === undefined) return false;
  if (ts.isPropertyAccessExpression(p) || ts.isPropertyAssignment(p) || ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p) || ts.isFunctionDeclaration(p)) {
    return p.name === n;
  }
  return ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p) || ts.isTypeReferenceNode(p);
}

/** Runtime ops whose result is always new storage, and which keep none of their arguments. */
export const freshOps: ReadonlySet<string> = new Set([
  'fused', 'matmulFused', 'matmulGradAFused', 'matmulGradBFused', 'sumFused', 'meanFused', 'sumAllFused', 'meanAllFused', 'unbroadcastFused',
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'prelu', 'maxMask',
  'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual',
  'neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'tanh', 'sigmoid', 'relu', 'leakyRelu', 'softplus',
  'tanhGrad', 'sigmoidGrad', 'reluGrad', 'leakyReluGrad',
  'matmul', 'matmulGradA', 'matmulGradB',
  'softmax', 'logSoftmax', 'softmaxGrad', 'logSoftmaxGrad', 'logSoftmaxJvp',
  'softmaxCrossEntropyGrad', 'softmaxCrossEntropyLoss', 'softmaxCrossEntropyLossGrad', 'softmaxCrossEntropyLossJvp',
  'sum', 'mean', 'max', 'min', 'logsumexp', 'sumAll', 'meanAll',
  'sigmoidCrossEntropyGrad', 'sigmoidCrossEntropyTargetGrad', 'mseGrad',
]);

/** Runtime calls that read (never return nor keep) their arguments and give numbers: every argument is a safe read. */
const readingOps: ReadonlySet<string> = new Set([
  'softmaxCrossEntropy', 'softmaxCrossEntropyJvp', 'sigmoidCrossEntropy', 'mse', 'zerosLike',
  // give a shape with no storage (a matmul fused into its epilogue, a chain into a reduction)
  'productLike', 'fusedLike',
]);

/**
 * Arguments that only give a shape or dtype: `unbroadcast(g, like)` may
 * return g (so g is not a safe read) but never `like`.
 */
const shapeOnlyArgs: ReadonlyMap<string, readonly number[]> = new Map([
  ['unbroadcast', [1]],
  ['broadcastLike', [1]],
  ['reduceGrad', [1]],
  ['meanGrad', [1]],
  ['maxGrad', [1, 2]],
  ['reshapeLike', [1]],
  ['castLike', [1]],
  ['expandReduced', [1]],
]);

/** Is this read of an identifier (a child of `call`) one that neither hands it on nor keeps it? */
function isSafeRead(id: ts.Identifier, call: ts.Node | undefined, above: ts.Node | undefined): boolean {
  // An operand of a fused kernel: `fused(kernel_f_1, [a, b])`, `matmulFused(kernel_f_2, x, W, [b])`.
  if (call && ts.isArrayLiteralExpression(call) && above && ts.isCallExpression(above) && ts.isIdentifier(above.expression)) {
    const at = fusedCallOperands.get(runtimeRefOf(above.expression) ?? '');
    return at !== undefined && above.arguments[at] === call;
  }
  if (!call || !ts.isCallExpression(call) || !ts.isIdentifier(call.expression)) return false;
  const at = call.arguments.indexOf(id as ts.Expression);
  if (at < 0) return false;
  const op = runtimeRefOf(call.expression);
  if (op === undefined) return false;
  if (freshOps.has(op) || readingOps.has(op)) return true;
  if (op === 'asTensor') return false;
  return shapeOnlyArgs.get(op)?.includes(at) ?? false;
}

/** The op of `const v = op(...)` or `const v = asTensor(op(...))` when it always makes new storage. */
function freshDeclaration(s: ts.Statement): string | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const)) return null;
  const [d, more] = s.declarationList.declarations;
  if (!d || more || !ts.isIdentifier(d.name) || !d.initializer) return null;
  let init = d.initializer;
  if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'asTensor' && init.arguments.length === 1) init = init.arguments[0]!;
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression)) return null;
  const op = runtimeRefOf(init.expression);
  return op !== undefined && freshOps.has(op) ? d.name.text : null;
}

interface Reads {
  /** Reads by name: whether all are safe. */
  safe: Map<string, boolean>;
}

/** Every identifier read in the function body, and whether each read is safe; names declared twice are unsafe. */
function classifyReads(body: ts.Block): Reads {
  const safe = new Map<string, boolean>();
  const declared = new Set<string>();
  // Synthesized nodes have no parent pointers: the walk carries the parent.
  const visit = (n: ts.Node, p: ts.Node | undefined, above: ts.Node | undefined): void => {
    if (ts.isIdentifier(n)) {
      if (p && (ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p)) && p.name === n) {
        if (declared.has(n.text)) safe.set(n.text, false);
        declared.add(n.text);
        return;
      }
      if (isNameSlot(n, p)) return;
      safe.set(n.text, (safe.get(n.text) ?? true) && isSafeRead(n, p, above));
      return;
    }
    // A closure may run later: whatever it reads stays alive.
    if (ts.isFunctionLike(n)) {
      const mark = (m: ts.Node): void => {
        if (ts.isIdentifier(m)) safe.set(m.text, false);
        ts.forEachChild(m, mark);
      };
      mark(n);
      return;
    }
    ts.forEachChild(n, (c) => visit(c, n, p));
  };
  ts.forEachChild(body, (c) => visit(c, body, undefined));
  return { safe };
}

/** Does `node` mention the identifier `name` (as a read)? */
function mentions(node: ts.Node, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node, p: ts.Node | undefined): void => {
    if (found) return;
    if (ts.isIdentifier(n)) {
      if (n.text === name && !isNameSlot(n, p)) found = true;
      return;
    }
    ts.forEachChild(n, (c) => visit(c, n));
  };
  visit(node, undefined);
  return found;
}

/** Inserts `release(...)` after the last read of each releasable intermediate declared in `list`. */
function releaseInList(list: readonly ts.Statement[], reads: Reads): ts.Statement[] {
  const after = new Map<number, string[]>();
  list.forEach((s, i) => {
    const v = freshDeclaration(s);
    if (v === null || reads.safe.get(v) === false) return;
    let last = i;
    for (let j = i + 1; j < list.length; j++) if (mentions(list[j]!, v)) last = j;
    const at = list[last]!;
    if (ts.isReturnStatement(at) || ts.isThrowStatement(at)) return;
    if (!after.has(last)) after.set(last, []);
    after.get(last)!.push(v);
  });
  if (after.size === 0) return [...list];
  const out: ts.Statement[] = [];
  list.forEach((s, i) => {
    out.push(s);
    const vs = after.get(i);
    if (vs) out.push(f.createExpressionStatement(f.createCallExpression(runtimeRef('release'), undefined, vs.map((v) => f.createIdentifier(v)))));
  });
  return out;
}

/** All identifiers in a node (to pick a fresh local name). */
function allNames(node: ts.Node, into: Set<string>): void {
  if (ts.isIdentifier(node)) into.add(node.text);
  ts.forEachChild(node, (c) => allNames(c, into));
}

/** Is this a generated derivative (`jvp_f`, `valueAndVjp_f`, their specialisations), not a wrapper or a kernel? */
function isDerivative(s: ts.Statement): s is ts.FunctionDeclaration {
  return ts.isFunctionDeclaration(s) && !!s.body && !!s.name && /^(jvp|valueAndVjp)_/.test(s.name.text);
}

/** Does the function handle tensors (a Tensor in its types, or a call of a runtime tensor op)? Functions of numbers get no scope. */
function handlesTensors(fn: ts.FunctionDeclaration): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n)) {
      const ref = runtimeRefOf(n);
      // zerosLike has a tensor rule (for second-order code) but also zeroes number arrays: not a sign of tensors.
      const generic = ref === 'zerosLike';
      if (n.text === 'Tensor' || (ref !== undefined && !generic && (isTensorPrim(ref) || tensorRuntimeNames.includes(ref) || ref === 'fused' || ref === 'asTensor' || ref === 'addTensor'))) found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(fn);
  return found;
}

/** Scopes and releases for every generated derivative in the file that handles tensors. */
export function insertLifetimes(statements: readonly ts.Statement[], isModuleLevel: (name: string) => boolean): ts.Statement[] {
  if (!enabled) return [...statements];
  return statements.map((s) => (isDerivative(s) && handlesTensors(s) ? lifetimesOf(s, isModuleLevel) : s));
}

function lifetimesOf(fn: ts.FunctionDeclaration, isModuleLevel: (name: string) => boolean): ts.FunctionDeclaration {
  const body = fn.body!;
  const reads = classifyReads(body);
  const taken = new Set<string>();
  allNames(fn, taken);
  let scope = 'scope';
  for (let k = 2; taken.has(scope) || isModuleLevel(scope); k++) scope = `scope${k}`;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isFunctionLike(n) && n !== fn) return n;
    if (ts.isBlock(n)) return f.updateBlock(n, releaseInList(n.statements.map((s) => visit(s) as ts.Statement), reads));
    if (ts.isReturnStatement(n) && n.expression) {
      return ts.setSyntheticLeadingComments(
        f.updateReturnStatement(n, f.createCallExpression(runtimeRef('keep'), undefined, [f.createIdentifier(scope), n.expression])),
        ts.getSyntheticLeadingComments(n),
      );
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  const inner = releaseInList(body.statements.map((s) => visit(s) as ts.Statement), reads);
  const open = f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(scope, undefined, undefined, f.createCallExpression(runtimeRef('beginScope'), undefined, []))], ts.NodeFlags.Const));
  // The scope closes however the body ends (an exception releases everything the call made).
  const close = f.createBlock([f.createExpressionStatement(f.createCallExpression(runtimeRef('endScope'), undefined, [f.createIdentifier(scope)]))], true);
  const guarded = f.createTryStatement(f.createBlock(inner, true), undefined, close);
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(body, [open, guarded]));
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;
