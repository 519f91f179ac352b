/**
 * Prints a Wengert list, one primitive per line (`t3 = mul(t1, t2)`), with
 * structured control flow indented and the activity of each assignment
 * marked, for `wengert inspect` and golden tests.
 */
import type { Activity } from '../analysis/activity.ts';
import type { Expr, IRFunction, Stmt } from './ir.ts';
import { identity, operand, pexpr, ref } from './print-expr.ts';
import { typeText } from '../frontend/types.ts';

export function printExpr(e: Expr): string {
  const ops = (xs: readonly import('./ir.ts').Operand[]) => xs.map((o) => operand(o, identity)).join(', ');
  switch (e.kind) {
    case 'prim':
      return `${e.prim}(${ops(e.args)})`;
    case 'tensorOp':
      return `${e.op}(${ops(e.args)})`;
    case 'copy':
      return operand(e.src, identity);
    case 'load':
      return `load ${ref(e.ref, identity)}`;
    case 'pure':
      return `const ${pexpr(e.expr, identity)}`;
    case 'opaqueCall':
      return `plain ${e.fn}(${ops(e.args)})`;
    case 'call':
      return `call ${e.callee.name}(${ops(e.args)})`;
    case 'newArray':
      return `new ${e.ctor}(${e.size ? operand(e.size, identity) : ''})`;
    case 'copyArray':
      return `copy ${ref(e.src, identity)}`;
    case 'pop':
      return `${e.end === 'last' ? 'pop' : 'shift'} ${ref(e.ref, identity)}`;
    case 'record':
      return `record {${e.fields.map((field) => `${field.name}: ${operand(field.value, identity)}`).join(', ')}}`;
    default:
      return e satisfies never;
  }
}

/** `: Tensor` after tensor-valued variables, `: number[]` after arrays (numbers are unmarked). */
function typeNote(locals: ReadonlyMap<string, import('./ir.ts').VarType> | null, v: string): string {
  const t = locals?.get(v);
  return t && t.kind !== 'number' && t.kind !== 'bool' ? `: ${typeText(t)}` : '';
}

let fnLocals: ReadonlyMap<string, import('./ir.ts').VarType> | null = null;

export function printStmts(list: readonly Stmt[], act: Activity | null, indent = ''): string[] {
  const lines: string[] = [];
  const mark = (v: string) => (act && act.isActive(v) ? '  # active' : '');
  for (const s of list) {
    const at = `  @${s.loc.line}${s.loc.lastLine === undefined ? '' : `-${s.loc.lastLine}`}`;
    switch (s.kind) {
      case 'assign':
        lines.push(`${indent}${s.target}${typeNote(fnLocals, s.target)} = ${printExpr(s.expr)}${mark(s.target)}${at}`);
        break;
      case 'store':
        lines.push(`${indent}store ${ref(s.ref, identity)} = ${operand(s.value, identity)}${at}`);
        break;
      case 'push':
        lines.push(`${indent}push ${ref(s.ref, identity)} <- ${operand(s.value, identity)}${at}`);
        break;
      case 'return':
        lines.push(`${indent}return ${operand(s.value, identity)}${at}`);
        break;
      case 'if':
        lines.push(`${indent}if ${pexpr(s.cond, identity)}:${at}`);
        lines.push(...printStmts(s.then, act, indent + '  '));
        if (s.else.length) {
          lines.push(`${indent}else:`);
          lines.push(...printStmts(s.else, act, indent + '  '));
        }
        break;
      case 'loop':
        if (s.test === 'pre') {
          lines.push(`${indent}while ${pexpr(s.cond, identity)}:${at}`);
          lines.push(...printStmts(s.body, act, indent + '  '));
        } else {
          lines.push(`${indent}do:${at}`);
          lines.push(...printStmts(s.body, act, indent + '  '));
          lines.push(`${indent}while ${pexpr(s.cond, identity)}`);
        }
        break;
      default:
        s satisfies never;
    }
  }
  return lines;
}

export function printFunction(fn: IRFunction, act: Activity | null = null): string {
  fnLocals = fn.locals;
  const params = fn.params.map((p) => `${p.name}: ${typeText(p.type)}${p.wrt ? ' (wrt)' : ''}`).join(', ');
  return [`function ${fn.name}(${params})`, ...printStmts(fn.body, act, '  ')].join('\n');
}
