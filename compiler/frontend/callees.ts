/**
 * Resolves a call inside a differentiable function: to another
 * differentiable function (in this file or imported), whose generated
 * derivatives the emitted code will call, or to a plain function the
 * compiler does not differentiate (allowed only with constant arguments).
 */
import { Node } from 'ts-morph';
import type { CallExpression, SourceFile } from 'ts-morph';
import type { Callee } from '../ir/ir.ts';
import { gradSpecifierFor } from '../emit/header.ts';
import { readTag } from './discover.ts';
import { classifyType, isDifferentiable } from './types.ts';

export type ResolvedCall =
  | { kind: 'differentiable'; callee: Callee; declaration: Node; primalImport: PrimalImport }
  | { kind: 'plain'; name: string; primalImport: PrimalImport | null }
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
    return { kind: 'plain', name: localName, primalImport: declSf === sf || module !== null ? primalImport : null };
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
  return { kind: 'differentiable', callee, declaration: fnNode, primalImport };
}

