/**
 * Functions with user-written derivatives (`@derivative vjp(f)` /
 * `@derivative jvp(f)`, in the spirit of JAX's custom_vjp and Swift's
 * `@derivative(of:)`): their bodies are not differentiated; the generated
 * `jvp_f` and `valueAndVjp_f` call the user's functions. With only one of
 * the two given, the other is derived from it for scalar-valued f (a dot
 * product for forward mode, one forward sweep per input for reverse mode).
 */
import { ts, type Node } from 'ts-morph';
import type { IRFunction } from '../ir/ir.ts';
import { id } from '../emit/nodes.ts';
import { docComment } from '../emit/printer.ts';
import { expr, stmts, typeFromText } from '../emit/template.ts';
import { fail } from '../frontend/diagnostics.ts';
import { exportName, forwardedArgs, functionNames, gradsType, isTensorValued, isVectorValued, param, seedType, signatureParams, type EmitContext } from './common.ts';

const f = ts.factory;

export interface CustomDerivatives {
  /** Local names, in the generated file, of the user's derivative functions. */
  vjp?: string;
  jvp?: string;
  /** The user's spelling of them, for comments. */
  vjpSource?: string;
  jvpSource?: string;
  node: Node;
}

export function emitCustom(fn: IRFunction, custom: CustomDerivatives, ctx: EmitContext, primalName: string): { jvp: ts.FunctionDeclaration; vjp: ts.FunctionDeclaration } {
  if ((!custom.vjp || !custom.jvp) && (isVectorValued(fn) || isTensorValued(fn))) {
    fail(custom.node, `${fn.name} returns several values: give both @derivative vjp(${fn.name}) and @derivative jvp(${fn.name})`, 'the missing mode can be derived from the other only for functions returning one number');
  }
  const wrt = fn.params.filter((p) => p.wrt);
  const args = () => forwardedArgs(fn);
  /** The primal call: `f(x, y)`, or `self.method(x, y)` for methods. */
  const primalCall = (): ts.Expression =>
    fn.self
      ? f.createCallExpression(f.createPropertyAccessExpression(id(fn.self.name), fn.name.slice(fn.self.type.length + 1)), undefined, fn.params.map((p) => id(p.name)))
      : f.createCallExpression(id(primalName), undefined, args());
  const ret = () => typeFromText(ctx.returnType);
  const call = (name: string, extra: ts.Expression[]) => f.createCallExpression(id(name), undefined, [...args(), ...extra]);

  // forward mode
  const jn = functionNames(ctx);
  const tangents = wrt.map((p) => jn.deriv(p.name));
  const jvpBody = custom.jvp
    ? stmts`return ${call(custom.jvp, tangents.map(id))};`
    : stmts`return [${primalCall()}, dotAll(${call(custom.vjp!, [f.createNumericLiteral(1)])}, ${f.createArrayLiteralExpression(tangents.map(id))})];`;
  const jvp = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'jvp'),
    undefined,
    [...signatureParams(fn, ctx), ...wrt.map((p, i) => param(tangents[i]!, typeFromText(ctx.paramType(p))))],
    f.createTupleTypeNode([ret(), ret()]),
    f.createBlock(jvpBody, true),
  );
  docComment(jvp, `Forward mode of ${fn.name}, from its custom derivative ${custom.jvpSource ?? `${custom.vjpSource} (by a dot product)`}.`);

  // reverse mode
  const vn = functionNames(ctx);
  const seed = vn.seed();
  let vjpBody: ts.Statement[];
  if (custom.vjp) {
    vjpBody = stmts`return [${primalCall()}, ${call(custom.vjp, [id(seed)])}];`;
  } else {
    const pulled = vn.fresh('pulled');
    const t = vn.fresh('t');
    const inputs = f.createAsExpression(f.createArrayLiteralExpression(wrt.map((p) => id(p.name))), f.createTypeReferenceNode('const'));
    const jvpOf = f.createArrowFunction(undefined, undefined, [param(t)], undefined, undefined, expr`${call(custom.jvp!, wrt.map((_, i) => expr`${t}[${i}]`))}[1]`);
    vjpBody = stmts`
      const ${pulled} = pullbackFromJvp(${inputs}, ${jvpOf}, ${seed});
      return [${primalCall()}, ${wrt.length === 1 ? expr`${pulled}[0]` : expr`[...${pulled}]`}];`;
  }
  const vjp = f.createFunctionDeclaration(
    [f.createModifier(ts.SyntaxKind.ExportKeyword)],
    undefined,
    exportName(fn, 'valueAndVjp'),
    undefined,
    [...signatureParams(fn, ctx), param(seed, seedType(fn))],
    f.createTupleTypeNode([ret(), gradsType(fn, ctx)]),
    f.createBlock(vjpBody, true),
  );
  docComment(vjp, `Reverse mode of ${fn.name}, from its custom derivative ${custom.vjpSource ?? `${custom.jvpSource} (one forward sweep per input)`}.`);
  return { jvp, vjp };
}
