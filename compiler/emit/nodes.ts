/**
 * IR to syntax trees: operands, memory references, conditions, primal
 * expressions and rule templates become TypeScript expression nodes. `name`
 * maps an IR variable to the name it has at the point of printing (the
 * reverse sweep renames recomputed values). Parentheses come from the
 * factory's own precedence rules, never from string heuristics.
 */
import { ts } from 'ts-morph';
import type { Callee, Expr, Operand, PExpr, Ref, VarType } from '../ir/ir.ts';
import { literal } from '../rules/algebra.ts';
import { scalarRules } from '../rules/scalar.ts';
import { tensorRules } from '../rules/tensor.ts';
import type { Rule } from '../rules/types.ts';
import { exprWithNamedHoles, markPureCall, numberNode, runtimeRef, typeFromText, userExpression } from './template.ts';

const f = ts.factory;

export type NameOf = (v: string) => string;

export const identity: NameOf = (v) => v;

export function id(name: string): ts.Identifier {
  return f.createIdentifier(name);
}

export function operand(o: Operand, name: NameOf): ts.Expression {
  if (o.kind === 'var') return id(name(o.name));
  if (o.kind === 'const') return numberNode(o.value);
  if (o.kind === 'list') return f.createArrayLiteralExpression(o.items.map((i) => operand(i, name)));
  return userExpression(o.text);
}

/**
 * `base.field[i]...`; `base` overrides the root (the adjoint of the same
 * place). A `private` / `protected` member (`viaIndex`) and a name that is
 * not an identifier are read as `base['field']`.
 */
export function ref(r: Ref, name: NameOf, base?: string): ts.Expression {
  let e: ts.Expression = id(base ?? name(r.base));
  for (const step of r.path) {
    if (step.kind === 'prop') {
      const asIndex = step.viaIndex || !/^[A-Za-z_$][\w$]*$/.test(step.name);
      e = asIndex ? f.createElementAccessExpression(e, f.createStringLiteral(step.name, true)) : f.createPropertyAccessExpression(e, step.name);
    } else {
      e = f.createElementAccessExpression(e, operand(step.index, name));
    }
  }
  return e;
}

const BINARY: Record<string, ts.BinaryOperator> = {
  '||': ts.SyntaxKind.BarBarToken, '&&': ts.SyntaxKind.AmpersandAmpersandToken, '|': ts.SyntaxKind.BarToken,
  '^': ts.SyntaxKind.CaretToken, '&': ts.SyntaxKind.AmpersandToken, '==': ts.SyntaxKind.EqualsEqualsToken,
  '!=': ts.SyntaxKind.ExclamationEqualsToken, '===': ts.SyntaxKind.EqualsEqualsEqualsToken,
  '!==': ts.SyntaxKind.ExclamationEqualsEqualsToken, '<': ts.SyntaxKind.LessThanToken, '<=': ts.SyntaxKind.LessThanEqualsToken,
  '>': ts.SyntaxKind.GreaterThanToken, '>=': ts.SyntaxKind.GreaterThanEqualsToken, '<<': ts.SyntaxKind.LessThanLessThanToken,
  '>>': ts.SyntaxKind.GreaterThanGreaterThanToken, '>>>': ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  '??': ts.SyntaxKind.QuestionQuestionToken,
  '+': ts.SyntaxKind.PlusToken, '-': ts.SyntaxKind.MinusToken, '*': ts.SyntaxKind.AsteriskToken, '/': ts.SyntaxKind.SlashToken,
  '%': ts.SyntaxKind.PercentToken, '**': ts.SyntaxKind.AsteriskAsteriskToken,
};

const UNARY: Record<string, ts.PrefixUnaryOperator> = {
  '!': ts.SyntaxKind.ExclamationToken,
  '-': ts.SyntaxKind.MinusToken,
  '+': ts.SyntaxKind.PlusToken,
};

export function binary(left: ts.Expression, op: string, right: ts.Expression): ts.Expression {
  const token = BINARY[op];
  if (token === undefined) throw new Error(`internal: unknown operator ${op}`);
  return f.createBinaryExpression(left, token, right);
}

/** A pure IR expression (conditions, lengths) as a tree. */
export function pexpr(p: PExpr, name: NameOf): ts.Expression {
  switch (p.kind) {
    case 'operand':
      return operand(p.op, name);
    case 'bool':
      return p.value ? f.createTrue() : f.createFalse();
    case 'binary':
      return binary(pexpr(p.left, name), p.op, pexpr(p.right, name));
    case 'unary':
      return f.createPrefixUnaryExpression(UNARY[p.op]!, pexpr(p.expr, name));
    case 'math':
      return f.createCallExpression(f.createPropertyAccessExpression(id('Math'), p.fn), undefined, p.args.map((a) => pexpr(a, name)));
    case 'load':
      return ref(p.ref, name);
    case 'element':
      return f.createElementAccessExpression(ref(p.ref, name), pexpr(p.index, name));
    case 'length':
      return f.createPropertyAccessExpression(ref(p.ref, name), 'length');
    case 'cond':
      return f.createConditionalExpression(pexpr(p.test, name), f.createToken(ts.SyntaxKind.QuestionToken), pexpr(p.whenTrue, name), f.createToken(ts.SyntaxKind.ColonToken), pexpr(p.whenFalse, name));
    default:
      return p satisfies never;
  }
}

/**
 * Rule templates instantiated on operands. Rules (compiler/rules) are
 * source templates over operand texts; they are called with placeholder
 * names for variable operands and names (and the literal text of constant
 * operands, so that rules can fold `x ** 2`). The text they return is parsed
 * once into a tree and each placeholder is filled with its node. One
 * `Holes` may serve several rules whose results are combined (the local
 * Jacobian of a block): placeholders are unique within it.
 */
export class Holes {
  private readonly holes = new Map<string, ts.Expression>();
  private readonly names = new Map<string, string>();
  private count = 0;

  /** A placeholder for `node`. */
  node(node: ts.Expression): string {
    const placeholder = `__h${this.count++}__`;
    this.holes.set(placeholder, node);
    return placeholder;
  }

  /** The placeholder of a variable name (the same one each time it is asked for). */
  name(nameText: string): string {
    let placeholder = this.names.get(nameText);
    if (!placeholder) {
      placeholder = this.node(id(nameText));
      this.names.set(nameText, placeholder);
    }
    return placeholder;
  }

  /** Placeholder or literal text per operand, as rules see them. */
  operands(args: readonly Operand[], name: NameOf): string[] {
    return args.map((a) => {
      if (a.kind === 'const') return literal(a.value);
      // Constant operands are literals (`[1]`, `true`, `undefined`): rules see and keep their text.
      if (a.kind === 'text') return a.text;
      if (a.kind === 'list') return `[${this.operands(a.items, name).join(', ')}]`;
      return this.name(name(a.name));
    });
  }

  /** The tree of a rule's (or a combination of rules') result text. */
  tree(text: string): ts.Expression {
    return exprWithNamedHoles(text, this.holes);
  }
}

/** One rule application: its operands as the rule sees them, and the holes behind them. */
export class RuleCall extends Holes {
  readonly args: string[];

  constructor(args: readonly Operand[], name: NameOf) {
    super();
    this.args = this.operands(args, name);
  }

  /** A placeholder for a name (`out`, `g`, a tangent); `label` is for readers of this code only. */
  named(_label: string, nameText: string): string {
    return this.name(nameText);
  }
}

/** The primal expression of a rule-backed IR expression. */
function rulePrimal(rule: Rule, args: readonly Operand[], name: NameOf): ts.Expression {
  const call = new RuleCall(args, name);
  return call.tree(rule.primal(call.args));
}

/** Local names, in the generated file, of the functions a primal expression calls. */
export interface CallNames {
  /** A differentiable callee's primal. */
  callee(c: Callee): string;
  /** A plain function called with constant arguments, by its name at the call site. */
  plain(localName: string): string;
}

/** Names as written in the source (for printing the IR in isolation). */
export const sourceCallNames: CallNames = { callee: (c) => c.name, plain: (n) => n };

/** The TypeScript expression computing a primal IR expression. */
export function primal(e: Expr, name: NameOf, calls: CallNames = sourceCallNames): ts.Expression {
  switch (e.kind) {
    case 'prim':
      return rulePrimal(scalarRules[e.prim] as Rule, e.args, name);
    case 'tensorOp':
      return rulePrimal(tensorRules[e.op], e.args, name);
    case 'copy':
      return operand(e.src, name);
    case 'load':
      return ref(e.ref, name);
    case 'pure':
      return pexpr(e.expr, name);
    case 'opaqueCall': {
      const call = f.createCallExpression(id(calls.plain(e.fn)), undefined, e.args.map((a) => operand(a, name)));
      return e.pure ? markPureCall(call) : call;
    }
    case 'call': {
      if (e.callee.method) return methodCall(e.callee.method, e.args, name);
      const call = f.createCallExpression(id(calls.callee(e.callee)), undefined, e.args.map((a) => operand(a, name)));
      // A function that fills an array and returns nothing: `(step(x, out), out)`, the filled array.
      if (e.callee.outParam === undefined) return call;
      return f.createParenthesizedExpression(f.createBinaryExpression(call, ts.SyntaxKind.CommaToken, operand(e.args[e.callee.outParam]!, name)));
    }
    case 'newArray':
      return e.elem && e.elem.kind !== 'number' ? emptyArrayOf(e.elem) : newArray(e.ctor, e.size ? operand(e.size, name) : null);
    case 'copyArray':
      return e.ctor === 'Array'
        ? f.createCallExpression(f.createPropertyAccessExpression(id('Array'), 'from'), undefined, [ref(e.src, name)])
        : f.createNewExpression(id(e.ctor), undefined, [ref(e.src, name)]);
    case 'pop':
      return popped(ref(e.ref, name), e.end);
    case 'record':
      return recordLiteral(e.type, e.fields.map((field) => [field.name, operand(field.value, name)]));
    default:
      return e satisfies never;
  }
}

/** `obj.energy(x)`, or `obj['energy'](x)` for a private method: the instance is the first argument. */
function methodCall(method: { name: string; viaIndex?: true }, args: readonly Operand[], name: NameOf): ts.Expression {
  const [instance, ...rest] = args;
  const self = operand(instance!, name);
  const fn = method.viaIndex ? f.createElementAccessExpression(self, f.createStringLiteral(method.name, true)) : f.createPropertyAccessExpression(self, method.name);
  return f.createCallExpression(fn, undefined, rest.map((a) => operand(a, name)));
}

/** `a.pop()!` or `a.shift()!`: the element a local array gives up. */
export function popped(array: ts.Expression, end: 'last' | 'first'): ts.Expression {
  const call = f.createCallExpression(f.createPropertyAccessExpression(array, end === 'last' ? 'pop' : 'shift'), undefined, []);
  return f.createNonNullExpression(call);
}

/** `[] as number[][]`: an empty array of `elem`s (rows of a local 2-D array). */
/** `{ W: w, b: b }`, or `[h, c] as [Tensor, Tensor]` for a tuple (an array literal alone would be typed Tensor[]). */
export function recordLiteral(type: Extract<VarType, { kind: 'object' | 'tuple' }>, fields: [string, ts.Expression][]): ts.Expression {
  if (type.kind === 'tuple') return f.createAsExpression(f.createArrayLiteralExpression(fields.map(([, v]) => v)), irType(type));
  return f.createObjectLiteralExpression(fields.map(([n, v]) => f.createPropertyAssignment(/^[A-Za-z_$][\w$]*$/.test(n) ? n : f.createStringLiteral(n, true), v)));
}

export function emptyArrayOf(elem: VarType): ts.Expression {
  return f.createAsExpression(f.createArrayLiteralExpression([]), f.createArrayTypeNode(irType(elem)));
}

/** `new Array<number>(n).fill(0)`, `[] as number[]`, `new Float64Array(n)` */
export function newArray(ctor: string, size: ts.Expression | null): ts.Expression {
  const numberType = f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
  if (ctor === 'Array') {
    if (!size) return f.createAsExpression(f.createArrayLiteralExpression([]), f.createArrayTypeNode(numberType));
    const alloc = f.createNewExpression(id('Array'), [numberType], [size]);
    return f.createCallExpression(f.createPropertyAccessExpression(alloc, 'fill'), undefined, [f.createNumericLiteral(0)]);
  }
  return f.createNewExpression(id(ctor), undefined, [size ?? f.createNumericLiteral(0)]);
}

/** The TypeScript type of an IR type; `Tensor` refers to the runtime's. */
export function irType(t: VarType): ts.TypeNode {
  switch (t.kind) {
    case 'number':
      return f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
    case 'bool':
      return f.createKeywordTypeNode(ts.SyntaxKind.BooleanKeyword);
    case 'tensor':
      return f.createTypeReferenceNode(runtimeRef('Tensor'));
    case 'array':
      return t.ctor === 'Array' ? f.createArrayTypeNode(irType(t.elem)) : f.createTypeReferenceNode(t.ctor);
    case 'tuple':
      return f.createTupleTypeNode(t.elems.map(irType));
    case 'object':
      return f.createTypeLiteralNode(t.fields.map((field) => f.createPropertySignature(undefined, field.name, undefined, irType(field.type))));
    case 'opaque':
      return typeFromText(t.text);
    default:
      return t satisfies never;
  }
}
