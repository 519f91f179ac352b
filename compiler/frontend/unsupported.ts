/**
 * The one list of what a differentiable function may not contain, with the
 * reason and what to do instead. Lowering calls these when it meets a
 * statement or expression it has no rule for, so every refusal is a
 * located diagnostic with a hint, never a crash.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { VarType } from '../ir/ir.ts';
import { fail } from './diagnostics.ts';

interface Refusal {
  what: string;
  hint: string;
}

const statements: Partial<Record<SyntaxKind, Refusal>> = {
  [SyntaxKind.TryStatement]: { what: 'try/catch', hint: 'derivatives of exceptional control flow are not defined; check inputs before calling' },
  [SyntaxKind.ThrowStatement]: { what: 'throw', hint: 'validate inputs before calling the differentiable function' },
  [SyntaxKind.ForInStatement]: { what: 'for...in', hint: 'iterate with a counted for loop or for...of over an array' },
  [SyntaxKind.WithStatement]: { what: 'with', hint: 'name the object explicitly' },
  [SyntaxKind.FunctionDeclaration]: { what: 'a function declaration here', hint: 'declare local functions in the body and call them (lower-closures.ts), or move the function to module level and mark it @differentiable' },
  [SyntaxKind.ClassDeclaration]: { what: 'a class declaration', hint: 'move it to module level' },
  [SyntaxKind.DebuggerStatement]: { what: 'debugger', hint: 'remove it from the differentiable function' },
};

const expressions: Partial<Record<SyntaxKind, Refusal>> = {
  [SyntaxKind.ArrowFunction]: { what: 'a function value here', hint: 'call a local function (f(x)) or pass it to an array method (xs.map(f)); otherwise move it to module level and mark it @differentiable' },
  [SyntaxKind.FunctionExpression]: { what: 'a function value here', hint: 'call a local function (f(x)) or pass it to an array method (xs.map(f)); otherwise move it to module level and mark it @differentiable' },
  [SyntaxKind.AwaitExpression]: { what: 'await', hint: 'differentiable functions are synchronous' },
  [SyntaxKind.YieldExpression]: { what: 'yield', hint: 'differentiable functions cannot be generators' },
  [SyntaxKind.DeleteExpression]: { what: 'delete', hint: 'differentiable functions have no side effects on objects' },
  [SyntaxKind.TypeOfExpression]: { what: 'typeof', hint: 'types are known at build time; remove the check' },
  [SyntaxKind.TemplateExpression]: { what: 'a template string', hint: 'strings play no part in derivatives' },
  [SyntaxKind.StringLiteral]: { what: 'a string', hint: 'strings play no part in derivatives' },
  [SyntaxKind.ObjectLiteralExpression]: { what: 'an object literal', hint: 'an object literal is a record where its type is declared: an argument, a const of an object type, a pushed element or a result; declare it in a const of its type first' },
  [SyntaxKind.NewExpression]: { what: 'new', hint: 'allocate arrays in a declaration: const a = new Float64Array(n)' },
  [SyntaxKind.TaggedTemplateExpression]: { what: 'a tagged template', hint: 'strings play no part in derivatives' },
  [SyntaxKind.ClassExpression]: { what: 'a class expression', hint: 'move it to module level' },
  [SyntaxKind.NullKeyword]: { what: 'null', hint: 'use a number' },
  [SyntaxKind.SuperKeyword]: { what: 'super', hint: 'call the base method from outside the differentiable function' },
};

/** The refusals by syntax kind, for the documented list (refusals.ts). */
export { statements as statementRefusals, expressions as expressionRefusals };

export function unsupportedStatement(node: Node): never {
  const r = statements[node.getKind()];
  if (r) fail(node, `${r.what} is not supported in a differentiable function`, r.hint);
  fail(node, `this statement (${node.getKindName()}) is not supported in a differentiable function`, 'see docs/supported.md for what wengert accepts');
}

export function unsupportedExpression(node: Node): never {
  const r = expressions[node.getKind()];
  if (r) fail(node, `${r.what} is not supported in a differentiable function`, r.hint);
  if (Node.isCallExpression(node) && node.getExpression().getText() === 'eval') {
    fail(node, 'eval is not supported in a differentiable function', 'the compiler must see all the code it differentiates');
  }
  if (Node.isIdentifier(node) && node.getText() === 'undefined') fail(node, 'undefined is not a number', 'use a number');
  fail(node, `${node.getText().slice(0, 40)} (${node.getKindName()}) is not supported in a differentiable function`, 'see docs/supported.md for what wengert accepts');
}

/** What to do instead of reading `.name` from a value that has no fields wengert knows. */
export function propertyHint(name: string, on: VarType): string {
  if (on.kind === 'tensor') {
    return `a tensor's .${name} cannot be read in a differentiable function; pass the number you need in as a parameter`;
  }
  if (on.kind === 'array' || on.kind === 'tuple') {
    return `an array has no field ${name}: read its elements by index (xs[i]) or its length (xs.length)`;
  }
  return `.${name} is read from a ${on.kind === 'bool' ? 'boolean' : on.kind}, which has no fields; read fields of object parameters or of locals bound to them`;
}
