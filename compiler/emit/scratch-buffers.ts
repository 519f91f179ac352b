/**
 * Buffers of a Jacobian's private sweep (compiler/emit/jacobian-sweep.ts)
 * taken from module scratch instead of allocated per call. Run after the
 * module passes, on the sweeps only; a declaration at the top of the sweep's
 * body
 *
 *   const dcam_0 = zerosLike(cam);                        (cam: Float64Array)
 *   const dxo_0 = new Float64Array(xo.length);
 *   const dxcam_0 = new Array<number>(xcam.length).fill(0);
 *
 * becomes a zeroed buffer of the same type and length that lives from call
 * to call in the sweep's `JacobianScratch` (runtime/jacobian-scratch.ts):
 *
 *   const dcam_0 = jacobianScratch_f.float64(0, cam.length);
 *
 * That is the same value the allocation made, so the sweep computes the same
 * numbers. It is done only where no reference to the buffer can outlive the
 * call: every mention of it reads or writes an element, reads its length,
 * passes it to a callee that only adds into it or reads it (`addInto`,
 * `addArrayInto`, a lane variant `valueAndVjpsIntoK_g` of this file), or
 * hands it to `jacobianRow` or the sweep's row copy, which copy it into the
 * returned row; none sits
 * inside a nested function. Anything else (a buffer stored, returned as it
 * is, or passed to another function) keeps its allocation. jacobian_f runs
 * the sweep only while no other run of it uses the scratch (its `busy` flag).
 */
import { ts } from 'ts-morph';
import { float64Parameters } from './local-accumulators.ts';
import { runtimeRefOf } from './template.ts';

const f = ts.factory;

/** Runtime helpers a scratch buffer may be passed to: they read or add into it and keep no reference. */
const NON_RETAINING_HELPERS: ReadonlySet<string> = new Set(['addInto', 'addArrayInto', 'jacobianRow']);

/** What a buffer declaration allocates: a Float64Array or a number[] of `length` zeros. */
interface BufferDeclaration {
  name: string;
  kind: 'float64' | 'numbers';
  /** A non-negative integer literal or `x.length`. */
  length: ts.Expression;
  /** For `zerosLike(p)`: p, which must be a Float64Array parameter. */
  likeParameter?: string;
}

/** Does `fn` declare, at the top of its body, a buffer this pass could take from the scratch (see the file comment)? */
export function declaresBuffer(fn: ts.FunctionDeclaration): boolean {
  const float64Params = float64Parameters(fn);
  return !!fn.body && fn.body.statements.some((s) => candidate(s, float64Params) !== null);
}

/**
 * Rewrites the sweeps in `statements`: `sweeps` maps a sweep's name to the name of its
 * module-level JacobianScratch; `nonRetaining` are the functions of this file that keep no
 * reference to their array arguments (lane variants that add into them, row copies).
 */
export function scratchBuffers(statements: readonly ts.Statement[], sweeps: ReadonlyMap<string, string>, nonRetaining: ReadonlySet<string>): ts.Statement[] {
  if (sweeps.size === 0) return [...statements];
  return statements.map((s) => {
    const scratch = ts.isFunctionDeclaration(s) && s.name && s.body ? sweeps.get(s.name.text) : undefined;
    return scratch === undefined ? s : rewriteSweep(s as ts.FunctionDeclaration, scratch, nonRetaining);
  });
}

function rewriteSweep(fn: ts.FunctionDeclaration, scratch: string, nonRetaining: ReadonlySet<string>): ts.FunctionDeclaration {
  const float64Params = float64Parameters(fn);
  const slots = { float64: 0, numbers: 0 };
  const body = fn.body!.statements.map((s) => {
    const buffer = candidate(s, float64Params);
    if (!buffer || !staysInCall(fn.body!, buffer.name, nonRetaining)) return s;
    const take = f.createCallExpression(
      f.createPropertyAccessExpression(f.createIdentifier(scratch), buffer.kind),
      undefined,
      [f.createNumericLiteral(slots[buffer.kind]++), buffer.length],
    );
    const declaration = s as ts.VariableStatement;
    const list = declaration.declarationList;
    const d = list.declarations[0]!;
    const taken = f.updateVariableDeclarationList(list, [f.updateVariableDeclaration(d, d.name, d.exclamationToken, d.type, take)]);
    return f.updateVariableStatement(declaration, declaration.modifiers, taken);
  });
  return f.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, f.updateBlock(fn.body!, body));
}

/** The buffer `s` declares, where its type and length let the scratch hold it (zerosLike of a Float64Array parameter), or null. */
function candidate(s: ts.Statement, float64Params: ReadonlySet<string>): BufferDeclaration | null {
  const buffer = bufferDeclaration(s);
  return buffer && (buffer.likeParameter === undefined || float64Params.has(buffer.likeParameter)) ? buffer : null;
}

/** The buffer `s` declares, or null. */
function bufferDeclaration(s: ts.Statement): BufferDeclaration | null {
  if (!ts.isVariableStatement(s) || !(s.declarationList.flags & ts.NodeFlags.Const) || s.declarationList.declarations.length !== 1) return null;
  const d = s.declarationList.declarations[0]!;
  const init = d.initializer;
  if (!ts.isIdentifier(d.name) || d.type || !init) return null;
  const name = d.name.text;
  // new Float64Array(n)
  if (ts.isNewExpression(init) && isGlobal(init.expression, 'Float64Array') && !init.typeArguments && init.arguments?.length === 1 && isLength(init.arguments[0]!)) {
    return { name, kind: 'float64', length: init.arguments[0]! };
  }
  // new Array<number>(n).fill(0)
  if (ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && init.expression.name.text === 'fill' && init.arguments.length === 1 && isZero(init.arguments[0]!)) {
    const made = init.expression.expression;
    if (ts.isNewExpression(made) && isGlobal(made.expression, 'Array') && made.typeArguments?.length === 1
      && made.typeArguments[0]!.kind === ts.SyntaxKind.NumberKeyword && made.arguments?.length === 1 && isLength(made.arguments[0]!)) {
      return { name, kind: 'numbers', length: made.arguments[0]! };
    }
  }
  // zerosLike(p)
  if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'zerosLike' && init.arguments.length === 1 && ts.isIdentifier(init.arguments[0]!)) {
    const like = init.arguments[0]!.text;
    return { name, kind: 'float64', length: f.createPropertyAccessExpression(f.createIdentifier(like), 'length'), likeParameter: like };
  }
  return null;
}

/** Does every mention of `name` in `body` keep the buffer inside the call (see the file comment)? */
function staysInCall(body: ts.Block, name: string, nonRetaining: ReadonlySet<string>): boolean {
  const fine = (n: ts.Identifier, parent: ts.Node, grandparent: ts.Node | undefined): boolean => {
    if (ts.isVariableDeclaration(parent) && parent.name === n) return ts.isVariableDeclarationList(grandparent!) && grandparent.declarations.length === 1;
    if (ts.isElementAccessExpression(parent) && parent.expression === n) return true;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === n) return parent.name.text === 'length';
    if (ts.isCallExpression(parent) && parent.expression !== n) return isNonRetainingCallee(parent.expression, nonRetaining);
    // jacobianRow([dcam_0, dx_0, dw_0]): the row copies each part.
    if (ts.isArrayLiteralExpression(parent) && grandparent && ts.isCallExpression(grandparent) && grandparent.arguments.includes(parent)) {
      return ts.isIdentifier(grandparent.expression) && runtimeRefOf(grandparent.expression) === 'jacobianRow';
    }
    return false;
  };
  let ok = true;
  let declarations = 0;
  const walk = (n: ts.Node, parent: ts.Node, grandparent: ts.Node | undefined, inFunction: boolean): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === name) {
      if (ts.isVariableDeclaration(parent) && parent.name === n) declarations++;
      if (inFunction || !fine(n, parent, grandparent)) ok = false;
      return;
    }
    const nested = inFunction || ts.isFunctionLike(n);
    ts.forEachChild(n, (c) => walk(c, n, parent, nested));
  };
  ts.forEachChild(body, (c) => walk(c, body, undefined, false));
  // A second declaration of the name (a shadowing local) would make the mentions ambiguous.
  return ok && declarations === 1;
}

/** A callee that reads or adds into its array arguments and keeps no reference to them. */
function isNonRetainingCallee(callee: ts.Expression, nonRetaining: ReadonlySet<string>): boolean {
  if (!ts.isIdentifier(callee)) return false;
  const runtime = runtimeRefOf(callee);
  return runtime !== undefined ? NON_RETAINING_HELPERS.has(runtime) : nonRetaining.has(callee.text);
}


/** A length the scratch can take as it is: a non-negative integer literal, or `x.length`. */
function isLength(e: ts.Expression): boolean {
  if (ts.isNumericLiteral(e)) return /^\d+$/.test(e.text);
  return ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.name.text === 'length';
}

function isZero(e: ts.Expression): boolean {
  return ts.isNumericLiteral(e) && e.text === '0';
}

function isGlobal(e: ts.Expression, name: string): boolean {
  return ts.isIdentifier(e) && e.text === name && runtimeRefOf(e) === undefined;
}
