/**
 * Reverse mode with k cotangents at once: `valueAndVjps_f(...args,
 * cotangents)` runs one forward sweep and one adjoint sweep whose adjoint
 * variables are k locals each (lanes.ts), and returns `[f(args),
 * [gradient_0, ..., gradient_k-1]]`, the pullback of each cotangent.
 */
import { ts } from 'ts-morph';
import { docComment } from '../emit/printer.ts';
import { freshName, identifiersOf, laneResultType, laneReturn, Lanes, LanesUnsupported, type LaneCallee } from './lanes.ts';

const f = ts.factory;

/** The k-cotangent variant of the reverse-mode function `vjp` (its last parameter is the cotangent); throws LanesUnsupported. */
export function reverseVector(vjp: ts.FunctionDeclaration, k: number, name: string, callee: (name: string) => LaneCallee | undefined, writesArguments?: ReadonlySet<string>): ts.FunctionDeclaration {
  const params = vjp.parameters;
  const seed = params[params.length - 1];
  if (!vjp.body || !seed || !ts.isIdentifier(seed.name) || !seed.type || seed.initializer) throw new LanesUnsupported('no cotangent parameter');
  const seedName = seed.name.text;
  const taken = identifiersOf(vjp);
  const lanes = new Lanes(vjp.body.statements, { k, sources: [seedName], callee, writesArguments }, taken);
  const cotangents = freshName('cotangents', taken);
  const type = f.createTypeOperatorNode(ts.SyntaxKind.ReadonlyKeyword, f.createTupleTypeNode(Array.from({ length: k }, () => seed.type!)));
  const pattern = f.createArrayBindingPattern(Array.from({ length: k }, (_, r) => f.createBindingElement(undefined, undefined, lanes.name(seedName, r))));
  const prologue = f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(pattern, undefined, undefined, f.createIdentifier(cotangents))], ts.NodeFlags.Const));
  const body = [prologue, ...lanes.list(vjp.body.statements, laneReturn(lanes, k))];
  const newParams = [...params.slice(0, -1), f.createParameterDeclaration(undefined, undefined, cotangents, undefined, type)];
  const decl = f.createFunctionDeclaration(vjp.modifiers, undefined, name, undefined, newParams, laneResultType(vjp.type, k), f.createBlock(body, true));
  return docComment(decl, `Reverse mode for ${k} cotangents in one forward and one adjoint sweep: [${vjp.name!.text.replace(/^valueAndVjp_/, '')}(...), the pullback of each of ${cotangents}].`);
}
