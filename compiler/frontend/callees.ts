/**
 * Resolves a call inside a differentiable function: to another
 * differentiable function (in this file or imported), whose generated
 * derivatives the emitted code will call, or to a plain function the
 * compiler does not differentiate (allowed only with constant arguments).
 *
 * A call of a `@differentiable` method (`this.energy(x)` in another method
 * of the class, or `body.energy(x)` on a parameter) resolves to the
 * method's generated derivatives, which take the instance first: the call
 * becomes `jvp_Body_energy(self, x, dx)` / `valueAndVjp_Body_energy(self,
 * x, dy)`, the instance a constant argument ahead of the method's own.
 */
import { Node, SyntaxKind } from 'ts-morph';
import type { CallExpression, ClassDeclaration, Expression, MethodDeclaration, PropertyAccessExpression, SourceFile } from 'ts-morph';
import { varOp, type Callee, type Operand } from '../ir/ir.ts';
import { gradSpecifierFor } from '../emit/header.ts';
import { fail } from './diagnostics.ts';
import { methodTag, readTag } from './discover.ts';
import type { Lowerer } from './lower.ts';
import { classifyType, isDifferentiable } from './types.ts';
import { outParameter, returnsVoid } from './out-params.ts';
import { isGeneratedModule, resolveGeneratedCall } from './generated-callees.ts';
import { isPureFunction } from './pure-functions.ts';

export type ResolvedCall =
  | {
      kind: 'differentiable';
      callee: Callee;
      declaration: Node;
      primalImport: PrimalImport;
      /** For a method call, the instance (`this`, or a parameter) and its class: it goes first (addReceiver). */
      receiver?: { node: Expression; className: string };
    }
  | { kind: 'plain'; name: string; primalImport: PrimalImport | null; /** Its calls have no effect (pure-functions.ts). */ pure: boolean }
  | { kind: 'unknown' };

/** Where the generated file imports a called function's primal from. */
export interface PrimalImport {
  /** Module specifier as seen from the source file ('.' prefix kept), or null for the source module itself. */
  module: string | null;
  /** Exported name in that module. */
  exportName: string;
  /** Local name at the call site. */
  localName: string;
  /** Is it exported (importable) at all? */
  exported: boolean;
}

export function resolveCall(call: CallExpression, sf: SourceFile): ResolvedCall {
  const calleeExpr = call.getExpression();
  if (Node.isPropertyAccessExpression(calleeExpr)) return resolveMethodCall(calleeExpr, sf);
  if (!Node.isIdentifier(calleeExpr)) return { kind: 'unknown' };
  const localName = calleeExpr.getText();
  let symbol = calleeExpr.getSymbol();
  if (!symbol) return { kind: 'unknown' };
  let module: string | null = null;
  let exportName = localName;
  const importSpec = symbol.getDeclarations().find((d) => Node.isImportSpecifier(d));
  if (importSpec && Node.isImportSpecifier(importSpec)) {
    module = importSpec.getImportDeclaration().getModuleSpecifierValue();
    exportName = importSpec.getName();
    // `grad_f` from `./model.grad.ts`: generated code, differentiated as f's gradient (generated-callees.ts).
    if (isGeneratedModule(module)) return resolveGeneratedCall(call, sf, module, exportName, localName);
    symbol = symbol.getAliasedSymbol() ?? symbol;
  }
  const decl = symbol.getDeclarations()[0];
  if (!decl) return { kind: 'unknown' };
  let fnNode: Node | undefined;
  let tagHolder: Node | undefined;
  let exported = false;
  if (Node.isFunctionDeclaration(decl)) {
    fnNode = decl;
    tagHolder = decl.getOverloads().length ? decl.getImplementation() ?? decl : decl;
    exported = decl.isExported();
  } else if (Node.isVariableDeclaration(decl)) {
    const init = decl.getInitializer();
    if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) fnNode = init;
    const stmt = decl.getVariableStatement();
    tagHolder = stmt;
    exported = stmt?.isExported() ?? false;
  }
  if (!fnNode || !tagHolder) return { kind: 'unknown' };
  if (module !== null) exported = true;
  const primalImport: PrimalImport = { module, exportName, localName, exported };
  const tag = readTag(tagHolder);
  const declSf = decl.getSourceFile();
  if (!tag) {
    // Functions from node_modules / lib files are plain library calls.
    return { kind: 'plain', name: localName, primalImport: declSf === sf || module !== null ? primalImport : null, pure: declSf === sf && isPureFunction(fnNode) };
  }
  const params = (fnNode as import('ts-morph').FunctionDeclaration).getParameters();
  const types = params.map((p) => classifyType(p.getType()));
  const wrt = params.map((p, i) => (tag.wrt ? tag.wrt.includes(p.getName()) : isDifferentiable(types[i]!)));
  const declaredName = Node.isFunctionDeclaration(decl) || Node.isVariableDeclaration(decl) ? (decl.getName() ?? exportName) : exportName;
  const callee: Callee = {
    name: localName,
    module,
    // The derivatives live beside the module that declares the callee, not beside a barrel that re-exports it.
    gradModule: module === null || declSf === sf ? null : gradSpecifierFor(sf.getFilePath(), declSf.getFilePath(), module),
    exportName,
    derivName: declaredName,
    wrt,
    params: types,
    returns: classifyType((fnNode as import('ts-morph').FunctionDeclaration).getReturnType()),
  };
  // A function that returns nothing and fills an array: its result is that array (out-params.ts).
  const fnLike = fnNode as import('ts-morph').FunctionDeclaration;
  if (returnsVoid(fnLike)) {
    const out = outParameter(fnLike);
    if ('index' in out) {
      callee.returns = types[out.index]!;
      callee.outParam = out.index;
    }
  }
  return { kind: 'differentiable', callee, declaration: fnNode, primalImport };
}


/**
 * Can `obj.m(...)` be a call of a `@differentiable` method: is `obj` `this`
 * or a parameter or local of a class type? (Anything else, such as an
 * array's methods, is not resolved here.)
 */
export function isMethodReceiver(L: Lowerer, obj: Expression): boolean {
  if (Node.isThisExpression(obj)) return true;
  if (!Node.isIdentifier(obj)) return false;
  const b = L.lookup(obj.getText());
  return b?.kind === 'var' && b.type.kind === 'opaque' && (obj.getType().getSymbol()?.getDeclarations().some((d) => Node.isClassDeclaration(d)) ?? false);
}

/** `this.energy(x)`, `body.energy(x)`: the `@differentiable` method it calls, declared in a class of this file. */
function resolveMethodCall(callee: PropertyAccessExpression, sf: SourceFile): ResolvedCall {
  const name = callee.getName();
  const text = callee.getText();
  if (name.startsWith('#')) {
    fail(callee, `${text}(...) calls the #private method ${name}, which the generated derivative code, outside the class, cannot reach`, `declare it as a TypeScript private method (private ${name.slice(1)}(...)) instead`);
  }
  const method = callee.getSymbol()?.getDeclarations().find((d): d is MethodDeclaration => Node.isMethodDeclaration(d));
  if (!method) fail(callee, `${text} is not a method`, 'call a @differentiable method declared in a class, or a @differentiable function');
  const cls = method.getParent();
  if (!Node.isClassDeclaration(cls)) fail(callee, `${text} is not a method of a class`, 'call a @differentiable method declared in a class');
  const className = cls.getName() ?? 'Anonymous';
  if (method.isStatic()) fail(callee, `${text} is a static method`, `call it as ${className}.${name}(...) outside, or make it a @differentiable function`);
  const tag = methodTag(method);
  if (!tag) {
    fail(callee, `${text}(...) calls ${className}.${name}, which is not @differentiable`, `mark ${name} with the @differentiable decorator, or compute its value outside and pass it in as a parameter`);
  }
  if (cls.getSourceFile() !== sf) {
    fail(callee, `${text}(...) calls ${className}.${name}, which is declared in another file`, `call a method of a class declared in this file, or make ${name} a @differentiable function and import it`);
  }
  const override = overridingClass(cls, name, sf);
  if (override) {
    fail(
      callee,
      `${className}.${name} is overridden in ${override}, and the derivative of ${text}(...) would always be ${className}'s`,
      `give the two methods different names, or make ${name} a @differentiable function that takes the object`,
    );
  }
  const params = method.getParameters();
  const types = params.map((p) => classifyType(p.getType()));
  const wrt = params.map((p, i) => (tag.wrt ? tag.wrt.includes(p.getName()) : isDifferentiable(types[i]!)));
  const hidden = method.hasModifier(SyntaxKind.PrivateKeyword) || method.hasModifier(SyntaxKind.ProtectedKeyword);
  const c: Callee = {
    name: text,
    module: null,
    gradModule: null,
    exportName: name,
    derivName: `${className}_${name}`,
    wrt,
    params: types,
    returns: classifyType(method.getReturnType()),
    method: hidden ? { name, viaIndex: true } : { name },
  };
  // The primal is called on the instance, never imported: the import entry only keeps plain calls' names apart.
  const primalImport: PrimalImport = { module: null, exportName: name, localName: text, exported: true };
  return { kind: 'differentiable', callee: c, declaration: method, primalImport, receiver: { node: callee.getExpression(), className } };
}

/** A class of this file that extends `cls` (directly or further down) and declares its own `name`. */
function overridingClass(cls: ClassDeclaration, name: string, sf: SourceFile): string | null {
  for (const other of sf.getClasses()) {
    if (other === cls || !other.getInstanceMethod(name)) continue;
    for (let base = other.getBaseClass(); base; base = base.getBaseClass()) {
      if (base === cls) return other.getName() ?? 'an anonymous class';
    }
  }
  return null;
}

/**
 * For a method call: the instance goes first, ahead of the method's own
 * arguments, as the generated method derivatives take it; it is a constant
 * (its fields get no derivative).
 */
export function addReceiver(L: Lowerer, resolved: Extract<ResolvedCall, { kind: 'differentiable' }>, ops: Operand[]): void {
  const receiver = resolved.receiver;
  if (!receiver) return;
  ops.unshift(receiverOperand(L, receiver.node));
  resolved.callee.params.unshift({ kind: 'opaque', text: receiver.className });
  resolved.callee.wrt.unshift(false);
}

function receiverOperand(L: Lowerer, obj: Expression): Operand {
  if (Node.isThisExpression(obj)) {
    if (!L.fn.self) fail(obj, '`this` is only available in @differentiable methods', 'pass the object as a parameter');
    return varOp(L.fn.self.name);
  }
  const b = Node.isIdentifier(obj) ? L.lookup(obj.getText()) : undefined;
  if (b?.kind !== 'var') fail(obj, `cannot call a method on ${obj.getText()}`, 'call a @differentiable method on this or on a parameter');
  return varOp(b.name);
}
