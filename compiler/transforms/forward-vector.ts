/**
 * Forward mode with k directions at once (Tapenade's multi-directional
 * mode): `jvps_f(...args, directions)` takes k tangent tuples, one per
 * direction, and returns `[f(args), [tangent_0, ..., tangent_k-1]]`. It is
 * `jvp_f` with every tangent variable turned into k locals (lanes.ts): the
 * primal runs once, each tangent statement once per direction.
 */
import { ts } from 'ts-morph';
import { docComment } from '../emit/printer.ts';
import { freshName, identifiersOf, laneResultType, laneReturn, Lanes, LanesUnsupported, type LaneCallee } from './lanes.ts';

const f = ts.factory;

/**
 * The k-direction variant of the forward-mode function `jvp`, whose last
 * `tangents` parameters are the tangents; throws LanesUnsupported.
 */
export function forwardVector(jvp: ts.FunctionDeclaration, tangents: number, k: number, name: string, callee: (name: string) => LaneCallee | undefined, writesArguments?: ReadonlySet<string>): ts.FunctionDeclaration {
  const params = jvp.parameters;
  if (!jvp.body || params.length < tangents || tangents === 0) throw new LanesUnsupported('no tangent parameters');
  const tangentParams = params.slice(params.length - tangents);
  if (tangentParams.some((p) => !ts.isIdentifier(p.name) || !p.type || p.initializer || p.questionToken)) throw new LanesUnsupported('a tangent parameter without a plain name and type');
  const sources = tangentParams.map((p) => (p.name as ts.Identifier).text);
  const taken = identifiersOf(jvp);
  const lanes = new Lanes(jvp.body.statements, { k, sources, callee, writesArguments }, taken);
  const directions = freshName('directions', taken);
  const direction = f.createTypeOperatorNode(ts.SyntaxKind.ReadonlyKeyword, f.createTupleTypeNode(tangentParams.map((p) => p.type!)));
  const directionsType = f.createTypeOperatorNode(ts.SyntaxKind.ReadonlyKeyword, f.createTupleTypeNode(Array.from({ length: k }, () => direction)));
  const reassigned = new Set<string>();
  const walk = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left)) reassigned.add(n.left.text);
    ts.forEachChild(n, walk);
  };
  walk(jvp.body);
  const flags = sources.some((s) => reassigned.has(s)) ? ts.NodeFlags.Let : ts.NodeFlags.Const;
  const prologue = Array.from({ length: k }, (_, r) => {
    const pattern = f.createArrayBindingPattern(sources.map((s) => f.createBindingElement(undefined, undefined, lanes.name(s, r))));
    const at = f.createElementAccessExpression(f.createIdentifier(directions), r);
    return f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(pattern, undefined, undefined, at)], flags));
  });
  const body = [...prologue, ...lanes.list(jvp.body.statements, laneReturn(lanes, k))];
  const newParams = [...params.slice(0, params.length - tangents), f.createParameterDeclaration(undefined, undefined, directions, undefined, directionsType)];
  const decl = f.createFunctionDeclaration(jvp.modifiers, undefined, name, undefined, newParams, laneResultType(jvp.type, k), f.createBlock(body, true));
  return docComment(decl, `Forward mode along ${k} directions in one sweep: [${jvp.name!.text.replace(/^jvp_/, '')}(...), the tangent along each of ${directions}].`);
}
