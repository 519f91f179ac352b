/**
 * Functions with user-written derivatives (`@derivative vjp(f)` /
 * `@derivative jvp(f)`, in the spirit of JAX's custom_vjp and Swift's
 * `@derivative(of:)`): their bodies are not differentiated; the generated
 * `jvp_f` and `valueAndVjp_f` call the user's functions. With only one of
 * the two given, the other is derived from it for scalar-valued f (a dot
 * product for forward mode, one forward sweep per input for reverse mode).
 */
import type { IRFunction } from '../ir/ir.ts';
import { Naming } from '../emit/naming.ts';
import { gradsType, isVectorValued, signatureParams, type EmitContext } from './common.ts';
import { fail } from '../frontend/diagnostics.ts';
import type { Node } from 'ts-morph';

export function emitCustom(fn: IRFunction, custom: { vjp?: string; jvp?: string; node: Node }, ctx: EmitContext): { jvp: string; vjp: string } {
  const naming = new Naming(fn.params.map((p) => p.name));
  const d = (v: string) => naming.deriv(v);
  const wrt = fn.params.filter((p) => p.wrt);
  const names = [...(fn.selfType ? ['self'] : []), ...fn.params.map((p) => p.name)];
  const call = fn.selfType ? `self.${fn.name.slice(fn.selfType.length + 1)}(${fn.params.map((p) => p.name).join(', ')})` : `${fn.name}(${names.join(', ')})`;
  const params = signatureParams(fn, ctx);
  const ret = ctx.returnType;
  const grads = gradsType(fn, ctx);
  const seed = naming.seed;
  if ((!custom.vjp || !custom.jvp) && isVectorValued(fn)) {
    fail(custom.node, `${fn.name} returns several values: give both @derivative vjp(${fn.name}) and @derivative jvp(${fn.name})`, 'the missing mode can be derived from the other only for functions returning one number');
  }
  const inputs = `[${wrt.map((p) => p.name).join(', ')}] as const`;
  const jvpBody = custom.jvp
    ? `  return ${custom.jvp}(${[...names, ...wrt.map((p) => d(p.name))].join(', ')});`
    : `  return [${call}, dotAll(${custom.vjp}(${[...names, '1'].join(', ')}), [${wrt.map((p) => d(p.name)).join(', ')}])];`;
  const vjpBody = custom.vjp
    ? `  return [${call}, ${custom.vjp}(${[...names, seed].join(', ')})];`
    : [
        `  const pulled = pullbackFromJvp(${inputs}, (t) => ${custom.jvp}(${[...names, ...wrt.map((_, i) => `t[${i}]`)].join(', ')})[1], ${seed});`,
        `  return [${call}, ${wrt.length === 1 ? 'pulled[0]' : '[...pulled]'}];`,
      ].join('\n');
  const jvp = [
    `/** Forward mode of ${fn.name}, from its custom derivative ${custom.jvp ?? `${custom.vjp} (by a dot product)`}. */`,
    `export function jvp_${fn.name}(${[...params, ...wrt.map((p) => `${d(p.name)}: ${ctx.paramType(p)}`)].join(', ')}): [${ret}, ${ret}] {`,
    jvpBody,
    '}',
  ].join('\n');
  const vjp = [
    `/** Reverse mode of ${fn.name}, from its custom derivative ${custom.vjp ?? `${custom.jvp} (one forward sweep per input)`}. */`,
    `export function valueAndVjp_${fn.name}(${[...params, `${seed}: ${isVectorValued(fn) ? 'ArrayLike<number>' : 'number'}`].join(', ')}): [${ret}, ${grads}] {`,
    vjpBody,
    '}',
  ].join('\n');
  return { jvp, vjp };
}
