/**
 * Pieces both derivative emitters share: signatures, source-line comments,
 * how a callee's generated derivatives are named, tangent arguments.
 */
import { ts } from 'ts-morph';
import type { Callee, IRFunction, Loc, Operand, Param, VarType } from '../ir/ir.ts';
import type { Activity } from '../analysis/activity.ts';
import { id, identity, operand, type CallNames } from '../emit/nodes.ts';
import type { FunctionNames, ModuleNames } from '../emit/names.ts';
import { expr, type, typeFromText } from '../emit/template.ts';

const f = ts.factory;

export interface EmitContext {
  /** The TypeScript type text of a parameter in generated signatures. */
  paramType(p: Param): string;
  /** The user's default value of a parameter (constant source text), if any. */
  paramDefault(p: Param): string | undefined;
  /** Is the parameter declared optional (`k?: number`)? */
  paramOptional?(p: Param): boolean;
  /** The TypeScript type text of the function's result. */
  returnType: string;
  /** Module-level names of the generated file. */
  module: ModuleNames;
  /** The local name, in the generated file, of a callee's primal or generated derivative. */
  callee(c: Callee, kind: 'primal' | 'jvp' | 'valueAndVjp'): string;
  /** The local name of a plain (non-differentiable) function the body calls, by its name at the call site. */
  plain(localName: string): string;
  /** The names of the user's function in the generated file: its IR names and the instance parameter of methods. */
  userNames: readonly string[];
  /**
   * Reverse code that will be differentiated again (second order, emit/higher-order.ts): no
   * zero-cotangent guards (`dt === 0 ? 0 : ...`), whose branch would drop the tangent of a
   * cotangent that is zero at the point but not around it.
   */
  noZeroGuards?: boolean;
  /** Reverse code that will be differentiated again: no run-time guards (tbr-counters.ts); counters not proven integral and trip counts are recorded. */
  noCounterGuards?: boolean;
}

/** Does the function return a tuple or array of numbers rather than one number? */
export function isVectorValued(fn: IRFunction): boolean {
  return fn.returnType.kind !== 'number' && fn.returnType.kind !== 'tensor';
}

/** Does the function return a Tensor (a layer helper), whose cotangent is a Tensor too? */
export function isTensorValued(fn: IRFunction): boolean {
  return fn.returnType.kind === 'tensor';}

/**
 * Does the function return a structure holding tensors or records (`[Tensor, Tensor]`,
 * `{ h: Tensor; c: Tensor }`), rather than numbers or one Tensor? Its cotangent has
 * the result's type (transforms/structures.ts).
 */
export function isStructureValued(fn: IRFunction): boolean {
  const t = fn.returnType;
  if (t.kind === 'object') return true;
  if (t.kind === 'array') return t.elem.kind !== 'number';
  if (t.kind === 'tuple') return t.elems.some((e) => e.kind !== 'number');
  return false;
}

/** Type of the output cotangent parameter of reverse-mode functions. */
export function seedType(fn: IRFunction, ctx?: EmitContext): ts.TypeNode {
  if (isTensorValued(fn)) return type`Tensor`;
  if (ctx && isStructureValued(fn)) return typeFromText(ctx.returnType);
  return isVectorValued(fn) ? type`ArrayLike<number>` : type`number`;
}

export function param(name: string, t?: ts.TypeNode, init?: ts.Expression): ts.ParameterDeclaration {
  return f.createParameterDeclaration(undefined, undefined, name, undefined, t, init);
}

/**
 * The user's parameters (the instance first, for methods), with their types
 * and default values. An optional parameter (`k?: number`) keeps its `?`
 * where the user's parameters end the list (`grad_f`, `valueAndGrad_f`);
 * before tangent or cotangent parameters, which are required, it becomes
 * `k: number | undefined` (pass `undefined` to leave it out).
 */
export function signatureParams(fn: IRFunction, ctx: EmitContext, trailing = false): ts.ParameterDeclaration[] {
  const params = fn.params.map((p) => {
    const init = ctx.paramDefault(p);
    const declared = typeFromText(ctx.paramType(p));
    if (init === undefined && ctx.paramOptional?.(p)) {
      if (trailing) return f.createParameterDeclaration(undefined, undefined, p.name, f.createToken(ts.SyntaxKind.QuestionToken), declared);
      return param(p.name, f.createUnionTypeNode([declared, f.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword)]));
    }
    return param(p.name, declared, init === undefined ? undefined : expr([init]));
  });
  return fn.self ? [param(fn.self.name, typeFromText(fn.self.type)), ...params] : params;
}

/** The arguments that pass the user's parameters on (the instance first, for methods). */
export function forwardedArgs(fn: IRFunction): ts.Expression[] {
  return [...(fn.self ? [id(fn.self.name)] : []), ...fn.params.map((p) => id(p.name))];
}

/** `model.ts:37`, or `model.ts:64-65` for a loop fused from loops on several lines. */
export function sourceComment(fn: IRFunction, loc: Loc): string {
  return `${fn.sourceFile}:${loc.line}${loc.lastLine === undefined ? '' : `-${loc.lastLine}`}`;
}

/** The exported names of a function's generated derivatives. */
export function exportName(fn: IRFunction | Callee, kind: 'jvp' | 'valueAndVjp' | 'vjp' | 'grad' | 'valueAndGrad' | 'jacobian'): string {
  return `${kind}_${'derivName' in fn ? fn.derivName : fn.name}`;
}

/** The tangent passed for one argument of a call in forward mode. */
export function tangentArg(a: Operand, t: VarType, act: Activity, d: (v: string) => string): ts.Expression {
  if (a.kind === 'var' && act.isActive(a.name)) return id(d(a.name));
  if (t.kind === 'number') return f.createNumericLiteral(0);
  return expr`zerosLike(${operand(a, identity)})`;
}

const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/** A type with `readonly` removed (`readonly number[]`, `ReadonlyArray<T>`, `Readonly<T>`): gradients are fresh, writable values. */
export function writableType(t: ts.TypeNode): ts.TypeNode {
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isTypeOperatorNode(n) && n.operator === ts.SyntaxKind.ReadonlyKeyword) return visit(n.type);
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && n.typeArguments?.length === 1) {
      const [arg] = n.typeArguments;
      if (n.typeName.text === 'ReadonlyArray') return f.createArrayTypeNode(visit(arg!) as ts.TypeNode);
      if (n.typeName.text === 'Readonly') return visit(arg!);
    }
    if (ts.isPropertySignature(n) && n.modifiers?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword)) {
      const rest = n.modifiers.filter((m) => m.kind !== ts.SyntaxKind.ReadonlyKeyword);
      return f.updatePropertySignature(n, rest, n.name, n.questionToken, n.type && (visit(n.type) as ts.TypeNode));
    }
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(t) as ts.TypeNode;
}

/** The type of the gradient returned for the wrt parameters. */
export function gradsType(fn: IRFunction, ctx: EmitContext): ts.TypeNode {
  const wrt = fn.params.filter((p) => p.wrt);
  const types = wrt.map((p) => writableType(typeFromText(ctx.paramType(p))));
  return types.length === 1 ? types[0]! : f.createTupleTypeNode(types);
}

/** A fresh naming scope for one generated function, holding the user's names. */
export function functionNames(ctx: EmitContext): FunctionNames {
  return ctx.module.forFunction(ctx.userNames);
}

/** The call-name resolver of primal expressions in generated code. */
export function callNames(ctx: EmitContext): CallNames {
  return { callee: (c) => ctx.callee(c, 'primal'), plain: (n) => ctx.plain(n) };
}

/** The primal value generated code returns: the result, or `{ loss, ...aux }` for a function with auxiliary results. */
export function primalResult(fn: IRFunction, value: ts.Expression): ts.Expression {
  if (!fn.aux) return value;
  return f.createObjectLiteralExpression([
    f.createPropertyAssignment('loss', value),
    ...fn.aux.map((a) => f.createPropertyAssignment(a.field, id(a.name))),
  ]);
}

/** The type of what `jvp_f` returns as its tangent: the result's type, or `number` (the loss's) with auxiliary results. */
export function tangentType(fn: IRFunction, ctx: EmitContext): ts.TypeNode {
  return fn.aux ? type`number` : typeFromText(ctx.returnType);
}
