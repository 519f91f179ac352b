/**
 * Calls of generated derivatives inside differentiable code: `grad_f(x)`
 * imported from `./model.grad.ts` in a `@differentiable` function is a call
 * of a differentiable function like any other. Its derivatives are the
 * second derivatives of f, which the generated file of f holds when f is
 * tagged `@differentiable order(2)` (emit/higher-order.ts): forward mode
 * calls `jvp_grad_f` (forward over reverse), reverse mode
 * `valueAndVjp_grad_f` (a Hessian-vector product, the Hessian being
 * symmetric). `vjp_f` and `jvp_f` of a function of numbers are callable
 * too: their derivatives (`jvp_vjp_f`, `valueAndVjp_jvp_f`, ...) are
 * wrappers over the same second-order code.
 *
 * The call is resolved from f's source, not from the generated file, which
 * may not exist yet on the first build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CallExpression, SourceFile } from 'ts-morph';
import type { Callee, VarType } from '../ir/ir.ts';
import type { ResolvedCall } from './callees.ts';
import { fail } from './diagnostics.ts';
import { discover } from './discover.ts';
import { classifyType, isDifferentiable } from './types.ts';

/** `order(2)` after `@differentiable` (and its `wrt(...)`): second derivatives wanted. */
const ORDER = /@differentiable\b[^\n]*?\border\((\d+)\)/;

/** The derivative order a tag asks for: 2 with `order(2)`, else 1. */
export function tagOrder(holder: import('ts-morph').Node): number {
  for (const range of holder.getLeadingCommentRanges()) {
    const text = range.getText();
    if (!text.startsWith('/**')) continue;
    const m = ORDER.exec(text);
    if (m) return Number(m[1]);
  }
  return 1;
}

/** `./model.grad.ts`, `./model.grad.js`, `./model.grad`: a generated module. */
export function isGeneratedModule(specifier: string): boolean {
  return specifier.startsWith('.') && /\.grad(\.(m|c)?[jt]s)?$/.test(specifier);
}

/** The user source a generated module was made from, or null when it cannot be found. */
function sourceOf(specifier: string, from: SourceFile): SourceFile | null {
  const dir = path.dirname(from.getFilePath());
  const m = /\.grad(\.(m|c)?[jt]s)?$/.exec(specifier)!;
  const stem = path.resolve(dir, specifier.slice(0, m.index));
  const kind = m[2] ?? '';
  const candidates = [`${stem}.${kind}ts`, `${stem}.${kind}tsx`];
  const project = from.getProject();
  for (const c of candidates) {
    const found = project.getSourceFile(c) ?? (fs.existsSync(c) ? project.addSourceFileAtPath(c) : undefined);
    if (found) return found;
  }
  return null;
}

/** Resolves `grad_f(...)` imported from a generated module to the differentiable callee `grad_f`. */
export function resolveGeneratedCall(call: CallExpression, sf: SourceFile, module: string, exportName: string, localName: string): ResolvedCall {
  const m = /^(grad|jvp|vjp|valueAndVjp|valueAndGrad|jacobian|hvp|hessian|jacfwd|jacrev)_(.+)$/.exec(exportName);
  if (!m) fail(call, `${localName} comes from the generated module ${module}, but is not a derivative wengert generates`, 'call the derivatives from outside the differentiable function');
  const [, kind, base] = m as unknown as [string, string, string];
  if (kind !== 'grad' && kind !== 'vjp' && kind !== 'jvp') {
    fail(
      call,
      `${localName}(...) is ${kind}_${base}, and only grad_, vjp_ and jvp_ can be called inside a differentiable function yet`,
      `call grad_${base} (tag ${base} @differentiable order(2)), or compute ${localName}(...) outside and pass it in as a parameter`,
    );
  }
  const source = sourceOf(module, sf);
  if (!source) fail(call, `cannot find the source of ${module}, which ${localName} comes from`, 'import grad_ functions from the .grad file beside their source');
  const target = discover(source).found.find((a) => a.name === base && a.className === null);
  if (!target) fail(call, `${source.getBaseName()} has no @differentiable function ${base}, whose gradient ${localName} would be`, `mark ${base} @differentiable order(2) in ${source.getBaseName()}`);
  if (source === sf) fail(call, `${localName}(...) is the gradient of ${base} of this same file`, `move ${base} into another file and import grad_${base} from its .grad file`);
  if (tagOrder(target.annotation) < 2) {
    fail(
      call,
      `${localName}(...) is differentiated as the gradient of ${base}, whose second derivatives are generated only with order(2)`,
      `tag ${base} in ${source.getBaseName()} as @differentiable order(2) (after any wrt(...)), then build again`,
    );
  }
  const params = target.node.getParameters();
  const types = params.map((p) => classifyType(p.getType()));
  const wrt = params.map((p, i) => (target.wrt ? target.wrt.includes(p.getName()) : isDifferentiable(types[i]!)));
  const wrtTypes = types.filter((_, i) => wrt[i]);
  let returns: VarType;
  if (wrtTypes.every((t) => t.kind === 'number')) returns = wrtTypes.length === 1 ? wrtTypes[0]! : { kind: 'tuple', elems: wrtTypes };
  else if (wrtTypes.length === 1 && wrtTypes[0]!.kind === 'array') returns = wrtTypes[0]!;
  else {
    fail(call, `${localName}(...) returns a gradient of a shape wengert cannot differentiate inside a function yet`, `call grad_ of a function of numbers or of one number array inside differentiable code`);
  }
  const callee: Callee = {
    name: localName,
    module,
    gradModule: module,
    exportName,
    derivName: exportName,
    wrt,
    params: types,
    returns,
  };
  if (kind !== 'grad') {
    // vjp_f(x, dy) and jvp_f(x, dx): their derivatives are generated for functions of numbers (emit/higher-order.ts).
    if (!wrtTypes.every((t) => t.kind === 'number')) {
      fail(call, `${localName}(...) can be differentiated only when ${base}'s wrt parameters are numbers`, `call grad_${base} instead, or compute ${localName}(...) outside and pass it in as a parameter`);
    }
    const number: VarType = { kind: 'number' };
    if (kind === 'vjp') {
      callee.params = [...types, number];
      callee.wrt = [...wrt, true];
    } else {
      callee.params = [...types, ...wrtTypes.map(() => number)];
      callee.wrt = [...wrt, ...wrtTypes.map(() => true)];
      callee.returns = { kind: 'tuple', elems: [number, number] };
    }
  }
  return { kind: 'differentiable', callee, declaration: target.node, primalImport: { module, exportName, localName, exported: true } };
}
