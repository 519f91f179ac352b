/**
 * Reverse mode with k cotangents at once: `valueAndVjps_f(...args,
 * cotangents)` runs one forward sweep and one adjoint sweep whose adjoint
 * variables are k locals each (lanes.ts), and returns `[f(args),
 * [gradient_0, ..., gradient_k-1]]`, the pullback of each cotangent.
 *
 * For calls inside other lane code, `valueAndVjpsIntoK_f(...args, dy_0, ..,
 * dA_0, dB_0, dA_1, ...)` adds each lane's pullback into the caller's
 * containers (one per array parameter) and returns f's value: the caller
 * allocates nothing for the call and adds nothing after it.
 */
import { ts } from 'ts-morph';
import { docComment } from '../emit/printer.ts';
import { runtimeRefOf } from '../emit/template.ts';
import { freshName, identifiersOf, laneResultType, laneReturn, Lanes, LanesUnsupported, type LaneCallee, type LaneInto } from './lanes.ts';

const f = ts.factory;

/** The k-cotangent variant of the reverse-mode function `vjp` (its last parameter is the cotangent); throws LanesUnsupported. */
export function reverseVector(vjp: ts.FunctionDeclaration, k: number, name: string, callee: (name: string) => LaneCallee | undefined, writesArguments?: ReadonlySet<string>, into?: (name: string) => LaneInto | undefined): ts.FunctionDeclaration {
  const params = vjp.parameters;
  const seed = params[params.length - 1];
  if (!vjp.body || !seed || !ts.isIdentifier(seed.name) || !seed.type || seed.initializer) throw new LanesUnsupported('no cotangent parameter');
  const seedName = seed.name.text;
  const taken = identifiersOf(vjp);
  const lanes = new Lanes(vjp.body.statements, { k, sources: [seedName], callee, writesArguments, into }, taken);
  const cotangents = freshName('cotangents', taken);
  const type = f.createTypeOperatorNode(ts.SyntaxKind.ReadonlyKeyword, f.createTupleTypeNode(Array.from({ length: k }, () => seed.type!)));
  const pattern = f.createArrayBindingPattern(Array.from({ length: k }, (_, r) => f.createBindingElement(undefined, undefined, lanes.name(seedName, r))));
  const prologue = f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(pattern, undefined, undefined, f.createIdentifier(cotangents))], ts.NodeFlags.Const));
  const body = [prologue, ...lanes.list(vjp.body.statements, laneReturn(lanes, k))];
  const newParams = [...params.slice(0, -1), f.createParameterDeclaration(undefined, undefined, cotangents, undefined, type)];
  const decl = f.createFunctionDeclaration(vjp.modifiers, undefined, name, undefined, newParams, laneResultType(vjp.type, k), f.createBlock(body, true));
  return docComment(decl, `Reverse mode for ${k} cotangents in one forward and one adjoint sweep: [${vjp.name!.text.replace(/^valueAndVjp_/, '')}(...), the pullback of each of ${cotangents}].`);
}

/**
 * The k-lane accumulate-into variant of `vjp` (see the file comment), and its container count. It
 * needs every gradient `vjp` returns to be an array container it starts as `zerosLike(param)` at the
 * top of its body and only ever adds into (`dA[i] += ...`, `addInto(dA, ...)`): then adding into the
 * caller's containers, in place of fresh ones added in afterwards, computes the same sums. Throws
 * LanesUnsupported otherwise (a number parameter, a container read or reset).
 */
export function reverseVectorInto(vjp: ts.FunctionDeclaration, k: number, name: string, callee: (name: string) => LaneCallee | undefined, writesArguments: ReadonlySet<string> | undefined, into: (name: string) => LaneInto | undefined): { decl: ts.FunctionDeclaration; containers: number } {
  const params = vjp.parameters;
  const seed = params[params.length - 1];
  if (!vjp.body || !seed || !ts.isIdentifier(seed.name) || !seed.type || seed.initializer) throw new LanesUnsupported('no cotangent parameter');
  const seedName = seed.name.text;
  const body = vjp.body.statements;
  const containers = gradientContainers(vjp.body);
  const declarations = new Map<string, ts.ParameterDeclaration>();
  for (const s of body) {
    const d = ts.isVariableStatement(s) && s.declarationList.declarations.length === 1 ? s.declarationList.declarations[0]! : null;
    const init = d?.initializer;
    if (!d || !ts.isIdentifier(d.name) || !containers.includes(d.name.text) || !init || !ts.isCallExpression(init)) continue;
    const of = init.arguments[0];
    const zeros = ts.isIdentifier(init.expression) && runtimeRefOf(init.expression) === 'zerosLike';
    const p = zeros && of && ts.isIdentifier(of) ? params.find((q) => ts.isIdentifier(q.name) && q.name.text === of.text) : undefined;
    if (p?.type && p.type.kind !== ts.SyntaxKind.NumberKeyword) declarations.set(d.name.text, p);
  }
  if (containers.some((c) => !declarations.has(c))) throw new LanesUnsupported('a gradient that is not an array container started at zero');
  const kept = body.filter((s) => !(ts.isVariableStatement(s) && ts.isIdentifier(s.declarationList.declarations[0]!.name) && declarations.has(s.declarationList.declarations[0]!.name.text)));
  for (const s of kept) checkAccumulatedOnly(s, new Set(containers));
  const taken = identifiersOf(vjp);
  const lanes = new Lanes(kept, { k, sources: [seedName, ...containers], callee, writesArguments, into }, taken);
  const onReturn = (s: ts.ReturnStatement): ts.Statement => {
    const e = s.expression;
    if (!e || !ts.isArrayLiteralExpression(e) || e.elements.length !== 2 || lanes.mentions(e.elements[0]!)) throw new LanesUnsupported('a return that is not [value, derivative]');
    return f.updateReturnStatement(s, e.elements[0]!);
  };
  const statements = lanes.list(kept, onReturn);
  const seeds = Array.from({ length: k }, (_, r) => f.createParameterDeclaration(undefined, undefined, lanes.name(seedName, r), undefined, seed.type));
  const targets = Array.from({ length: k }, (_, r) => containers.map((c) => f.createParameterDeclaration(undefined, undefined, lanes.name(c, r), undefined, declarations.get(c)!.type))).flat();
  const resultType = vjp.type && ts.isTupleTypeNode(vjp.type) && vjp.type.elements.length === 2 ? vjp.type.elements[0] : undefined;
  if (!resultType) throw new LanesUnsupported('a derivative whose result type is not [value, derivative]');
  const decl = f.createFunctionDeclaration(undefined, undefined, name, undefined, [...params.slice(0, -1), ...seeds, ...targets], resultType as ts.TypeNode, f.createBlock(statements, true));
  const base = vjp.name!.text.replace(/^valueAndVjp_/, '');
  return { decl: docComment(decl, `Reverse mode for ${k} cotangents in one sweep, adding the pullback of each into the caller's containers (${containers.length} per cotangent); returns ${base}(...).`), containers: containers.length };
}

/** The gradient containers `vjp` returns: `return [value, dA]` or `[value, [dA, dB]]`, the same at every return. */
function gradientContainers(body: ts.Block): string[] {
  let found: string[] | null = null;
  const walk = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n)) {
      const e = n.expression;
      const g = e && ts.isArrayLiteralExpression(e) && e.elements.length === 2 ? e.elements[1]! : null;
      const names = !g ? null : ts.isIdentifier(g) ? [g.text] : ts.isArrayLiteralExpression(g) && g.elements.every(ts.isIdentifier) ? g.elements.map((x) => (x as ts.Identifier).text) : null;
      if (!names || (found && names.join() !== found.join())) throw new LanesUnsupported('gradients that are not the same containers at every return');
      found = names;
      return;
    }
    ts.forEachChild(n, walk);
  };
  walk(body);
  if (!found || new Set(found).size !== (found as string[]).length) throw new LanesUnsupported('no gradient containers');
  return found;
}

/** Throws unless every mention of a container in `s` adds into it (`dA[i] += e`, `dA[i] -= e`, `addInto(dA, e)`) or returns it. */
function checkAccumulatedOnly(s: ts.Node, containers: ReadonlySet<string>): void {
  const isContainer = (e: ts.Node): boolean => ts.isIdentifier(e) && containers.has(e.text);
  const walk = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) return;
    if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken || n.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken)
      && ts.isElementAccessExpression(n.left) && isContainer(n.left.expression)) {
      if (mentions(n.left.argumentExpression, containers) || mentions(n.right, containers)) throw new LanesUnsupported('a gradient container read while added into');
      return;
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && runtimeRefOf(n.expression) === 'addInto' && n.arguments[0] && isContainer(n.arguments[0])) {
      if (n.arguments.slice(1).some((a) => mentions(a, containers))) throw new LanesUnsupported('a gradient container read while added into');
      return;
    }
    if (isContainer(n)) throw new LanesUnsupported(`a gradient container read or written: ${(n as ts.Identifier).text}`);
    ts.forEachChild(n, walk);
  };
  walk(s);
}

function mentions(n: ts.Node, names: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(n)) return names.has(n.text);
  return ts.forEachChild(n, (c) => mentions(c, names) || undefined) ?? false;
}
