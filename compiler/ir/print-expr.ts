/**
 * Text of IR operands, references and conditions, for the printed Wengert
 * list (`wengert inspect`, IR snapshots). Generated code is built as syntax
 * trees instead (compiler/emit/nodes.ts).
 */
import type { Operand, PExpr, Ref } from './ir.ts';
import { literal } from '../rules/algebra.ts';

export type NameOf = (v: string) => string;

export const identity: NameOf = (v) => v;

export function operand(o: Operand, name: NameOf): string {
  if (o.kind === 'list') return `[${o.items.map((i) => operand(i, name)).join(', ')}]`;
  return o.kind === 'var' ? name(o.name) : o.kind === 'const' ? literal(o.value) : o.text;
}

export function ref(r: Ref, name: NameOf, base?: string): string {
  let text = base ?? name(r.base);
  for (const step of r.path) text += step.kind === 'prop' ? `.${step.name}` : `[${operand(step.index, name)}]`;
  return text;
}

const precedence: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '===': 6, '!==': 6,
  '<': 7, '<=': 7, '>': 7, '>=': 7, '<<': 8, '>>': 8, '>>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10, '**': 11,
};

export function pexpr(p: PExpr, name: NameOf, parentPrec = 0): string {
  switch (p.kind) {
    case 'operand':
      return operand(p.op, name);
    case 'bool':
      return String(p.value);
    case 'binary': {
      const prec = precedence[p.op] ?? 0;
      // Right operands of equal precedence, and ** chains, get parentheses to keep the meaning.
      let left = pexpr(p.left, name, prec === 11 ? prec + 1 : prec);
      // `(-x) ** 2`: a unary operand on the left of ** must keep its parentheses.
      if (p.op === '**' && (p.left.kind === 'unary' || /^[-+]/.test(left))) left = `(${left})`;
      const text = `${left} ${p.op} ${pexpr(p.right, name, prec + 1)}`;
      return prec < parentPrec || (p.op === '**' && parentPrec > 0) ? `(${text})` : text;
    }
    case 'unary': {
      const inner = pexpr(p.expr, name, 12);
      // `-(-x)` must not print as the decrement `--x`.
      return /^[-+]/.test(inner) || (p.expr.kind === 'binary' && p.expr.op === '**') ? `${p.op}(${inner})` : `${p.op}${inner}`;
    }
    case 'math':
      return `Math.${p.fn}(${p.args.map((a) => pexpr(a, name)).join(', ')})`;
    case 'load':
      return ref(p.ref, name);
    case 'element':
      return `${ref(p.ref, name)}[${pexpr(p.index, name)}]`;
    case 'length':
      return `${ref(p.ref, name)}.length`;
    case 'cond': {
      const text = `${pexpr(p.test, name, 1)} ? ${pexpr(p.whenTrue, name, 1)} : ${pexpr(p.whenFalse, name, 1)}`;
      return parentPrec > 0 ? `(${text})` : text;
    }
    default:
      return p satisfies never;
  }
}
