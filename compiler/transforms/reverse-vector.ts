/**
 * Reverse mode with k cotangents at once: `valueAndVjps_f(...args,
 * cotangents)` runs one forward sweep and one adjoint sweep whose adjoint
 * variables are k locals each (lanes.ts), and returns `[f(args),
 * [gradient_0, ..., gradient_k-1]]`, the pullback of each cotangent.
 *
 * For calls inside other lane code and for `jacobian_f`, `valueAndVjpsIntoK_f(
 * ...args, dy_0, .., dA_0, dB_0, dA_1, .., dA_at, dB_at)` adds each lane's
 * pullback into the caller's containers, at an offset per parameter (the
 * gradient of an array parameter A at dA[dA_at ..], of a number parameter at
 * dA[dA_at]), and returns f's value: the caller allocates nothing for the call
 * and adds nothing after it, and a Jacobian's rows are the containers.
 */
import { ts } from 'ts-morph';
import { docComment } from '../emit/printer.ts';
import { runtimeRefOf } from '../emit/template.ts';
import { freshName, identifiersOf, laneResultType, laneReturn, Lanes, LanesUnsupported, nullContext, type LaneCallee, type LaneInto } from './lanes.ts';

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
 * The k-lane accumulate-into variant of `vjp` (see the file comment). It needs every gradient `vjp`
 * returns to start at zero at the top of its body (`const dA = zerosLike(A)` for an array parameter,
 * `let dA = 0` for a number) and only ever be added into (`dA[i] += e`, `dA += e`, and `addInto(dA, c)`
 * where the call that gives c has an accumulate-into variant too): then adding into the caller's
 * containers, in place of fresh ones the caller adds in afterwards, computes the same sums. Throws
 * LanesUnsupported otherwise (a container read, reset or passed on).
 */
export function reverseVectorInto(vjp: ts.FunctionDeclaration, k: number, name: string, callee: (name: string) => LaneCallee | undefined, writesArguments: ReadonlySet<string> | undefined, into: (name: string) => LaneInto | undefined): { decl: ts.FunctionDeclaration; into: LaneInto } {
  const params = vjp.parameters;
  const seed = params[params.length - 1];
  if (!vjp.body || !seed || !ts.isIdentifier(seed.name) || !seed.type || seed.initializer) throw new LanesUnsupported('no cotangent parameter');
  const seedName = seed.name.text;
  const body = vjp.body.statements;
  const containers = gradientContainers(vjp.body);
  const kinds = new Map<string, ContainerKind>();
  for (const s of body) {
    const d = ts.isVariableStatement(s) && s.declarationList.declarations.length === 1 ? s.declarationList.declarations[0]! : null;
    if (d && ts.isIdentifier(d.name) && containers.includes(d.name.text) && d.initializer) {
      const kind = startsAtZero(d.initializer, params);
      if (kind) kinds.set(d.name.text, kind);
    }
  }
  if (containers.some((c) => !kinds.has(c))) throw new LanesUnsupported('a gradient that does not start at zero');
  const isDeclaration = (s: ts.Statement) => ts.isVariableStatement(s) && s.declarationList.declarations.length === 1 && ts.isIdentifier(s.declarationList.declarations[0]!.name) && kinds.has(s.declarationList.declarations[0]!.name.text);
  const taken = identifiersOf(vjp);
  const offsets = new Map(containers.map((c) => [c, freshName(`${c}At`, taken)] as const));
  const kept = body.filter((s) => !isDeclaration(s)).map((s) => atOffsets(s, kinds, offsets));
  const lanes = new Lanes(kept, { k, sources: [seedName, ...containers], callee, writesArguments, into, offsets }, taken);
  const onReturn = (s: ts.ReturnStatement): ts.Statement => {
    const e = s.expression;
    if (!e || !ts.isArrayLiteralExpression(e) || e.elements.length !== 2 || lanes.mentions(e.elements[0]!)) throw new LanesUnsupported('a return that is not [value, derivative]');
    return f.updateReturnStatement(s, e.elements[0]!);
  };
  const statements = lanes.list(kept, onReturn);
  const laneContainers = new Set(containers.flatMap((c) => Array.from({ length: k }, (_, r) => lanes.name(c, r))));
  for (const s of statements) checkNotPassedOn(s, laneContainers);
  const containerType = f.createUnionTypeNode([f.createTypeReferenceNode('Float64Array'), f.createArrayTypeNode(f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword))]);
  const number = f.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
  const seeds = Array.from({ length: k }, (_, r) => f.createParameterDeclaration(undefined, undefined, lanes.name(seedName, r), undefined, seed.type));
  const targets = Array.from({ length: k }, (_, r) => containers.map((c) => f.createParameterDeclaration(undefined, undefined, lanes.name(c, r), undefined, containerType))).flat();
  const at = containers.map((c) => f.createParameterDeclaration(undefined, undefined, offsets.get(c)!, undefined, number));
  const resultType = vjp.type && ts.isTupleTypeNode(vjp.type) && vjp.type.elements.length === 2 ? vjp.type.elements[0] : undefined;
  if (!resultType) throw new LanesUnsupported('a derivative whose result type is not [value, derivative]');
  const decl = f.createFunctionDeclaration(undefined, undefined, name, undefined, [...params.slice(0, -1), ...seeds, ...targets, ...at], resultType as ts.TypeNode, f.createBlock(statements, true));
  const base = vjp.name!.text.replace(/^valueAndVjp_/, '');
  const doc = `Reverse mode for ${k} cotangents in one sweep, adding the pullback of each into the caller's containers (${containers.map((c) => `${c} at ${offsets.get(c)}`).join(', ')}); returns ${base}(...).`;
  return { decl: docComment(decl, doc), into: { name, containers: containers.map((c) => kinds.get(c)!) } };
}

type ContainerKind = 'array' | 'number';

/** `zerosLike(A)` for an array parameter A, `0` for a number parameter's gradient; else null. */
function startsAtZero(init: ts.Expression, params: readonly ts.ParameterDeclaration[]): ContainerKind | null {
  if (ts.isNumericLiteral(init) && init.text === '0') return 'number';
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || runtimeRefOf(init.expression) !== 'zerosLike') return null;
  const of = init.arguments[0];
  const p = of && ts.isIdentifier(of) ? params.find((q) => ts.isIdentifier(q.name) && q.name.text === of.text) : undefined;
  const t = p?.type;
  const flat = t && ((ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === 'Float64Array') || (ts.isArrayTypeNode(t) && t.elementType.kind === ts.SyntaxKind.NumberKeyword));
  return flat ? 'array' : null;
}

/** `dA[i] += e` -> `dA[dA_at + i] += e`, `dA += e` -> `dA[dA_at] += e`; throws on any other mention of a container. */
function atOffsets(s: ts.Statement, kinds: ReadonlyMap<string, ContainerKind>, offsets: ReadonlyMap<string, string>): ts.Statement {
  const isContainer = (e: ts.Node, kind: ContainerKind): e is ts.Identifier => ts.isIdentifier(e) && kinds.get(e.text) === kind;
  const names = new Set(kinds.keys());
  const adds = (op: ts.SyntaxKind) => op === ts.SyntaxKind.PlusEqualsToken || op === ts.SyntaxKind.MinusEqualsToken;
  const visit = (n: ts.Node): ts.Node => {
    if (ts.isReturnStatement(n)) return n;
    if (ts.isBinaryExpression(n) && adds(n.operatorToken.kind)) {
      const left = n.left;
      if (ts.isElementAccessExpression(left) && isContainer(left.expression, 'array')) {
        if (mentions(left.argumentExpression, names) || mentions(n.right, names)) throw new LanesUnsupported('a gradient container read while added into');
        const index = f.createBinaryExpression(f.createIdentifier(offsets.get(left.expression.text)!), ts.SyntaxKind.PlusToken, left.argumentExpression);
        return f.updateBinaryExpression(n, f.updateElementAccessExpression(left, left.expression, index), n.operatorToken, n.right);
      }
      if (isContainer(left, 'number')) {
        if (mentions(n.right, names)) throw new LanesUnsupported('a gradient container read while added into');
        return f.updateBinaryExpression(n, f.createElementAccessExpression(left, f.createIdentifier(offsets.get(left.text)!)), n.operatorToken, n.right);
      }
    }
    // Left for an accumulate-into call to take (checkNotPassedOn throws if none does).
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && runtimeRefOf(n.expression) === 'addInto' && n.arguments[0] && isContainer(n.arguments[0], 'array')) {
      if (n.arguments.slice(1).some((a) => mentions(a, names))) throw new LanesUnsupported('a gradient container read while added into');
      return n;
    }
    if (ts.isIdentifier(n) && names.has(n.text)) throw new LanesUnsupported(`a gradient container read or written: ${n.text}`);
    return ts.visitEachChild(n, visit, nullContext);
  };
  return visit(s) as ts.Statement;
}

/** Throws where a lane's container is still added into by `addInto` (its offset would be lost). */
function checkNotPassedOn(s: ts.Node, containers: ReadonlySet<string>): void {
  const walk = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && runtimeRefOf(n.expression) === 'addInto' && n.arguments[0] && mentions(n.arguments[0], containers)) {
      throw new LanesUnsupported('a gradient container added into by addInto');
    }
    ts.forEachChild(n, walk);
  };
  walk(s);
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

function mentions(n: ts.Node, names: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(n)) return names.has(n.text);
  return ts.forEachChild(n, (c) => mentions(c, names) || undefined) ?? false;
}
