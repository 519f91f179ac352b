/**
 * Hostile names (issue #8): parameters and locals named like reserved and
 * contextual words, like the words their tangents `d<name>` would make
 * (`o` -> `do`), like the locals the generated wrappers declare (`j` in a
 * Jacobian, `pulled` next to a custom derivative, `self` in a method), like
 * runtime exports (`tape`, `sum`, `matmul`) and like generated exports
 * (`valueAndVjp_f`); user functions named like runtime ops (`sigmoid`) or
 * like generated functions (`vjp_softplus` as a custom derivative). Each
 * case builds, type-checks under strict and gives derivatives that match
 * central finite differences (forward against reverse too), or is refused
 * with a located error and a hint.
 *
 * Then a property test: fast-check draws names from all of those lists
 * (test/compiler/hostile-programs.ts), renders small programs with them,
 * compiles them as one file and checks every derivative.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { Rng, randn, type Tensor } from 'wengert';
import { formatDiagnostic } from 'wengert/compiler';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, compileFixture, type Built } from '../helpers/generate.ts';
import { typecheck } from '../helpers/typecheck.ts';
import { boundMethod, checkProgram, checkVector, describeProgram, programArb, renderPrograms } from './hostile-programs.ts';

const gradPathOf = (built: Built<unknown, unknown>) => built.sourcePath.replace(/\.ts$/, '.grad.ts');

/** The generated function `name`'s signature line. */
function signatureOf(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`export function ${name}(`));
  if (!line) throw new Error(`no ${name} in the generated file`);
  return line;
}

/** The generated code of function `name`: from its `// ---- name (...) ----` line to the next such line. */
function sectionOf(text: string, name: string): string {
  const start = text.indexOf(`// ---- ${name} (`);
  if (start < 0) throw new Error(`no section for ${name} in the generated file`);
  const end = text.indexOf('// ---- ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

const source = `
import { differentiable, matmul, sigmoid as sigmoidOp, sum, tanh, type Tensor } from 'wengert';

// ---- reserved and contextual words ----

/** @differentiable */
export function reservedTangents(o: number, elete: number, ebugger: number, efault: number, eclare: number): number {
  let of = o * elete;
  for (let as = 0; as < 2; as++) of = of * Math.cos(ebugger) + efault * eclare;
  return of * o;
}

/** @differentiable */
export function contextualWords(
  of: number, as: number, get: number, set: number, type: number,
  async: number, from: number, number: number, string: number, any: number,
): number {
  const unknown = of * as + get * set;
  const never = Math.exp(type * 0.1) * async;
  let object = from * number + string * any;
  object = object * unknown + never;
  return object;
}

// ---- wrapper locals ----

/** @differentiable */
export function wrapperNames(
  inputs: number, j: number, t: number, row: number, nIn: number, nOut: number,
  zero: number, value: number, seed: number, dy: number, y: number,
): [number, number] {
  return [inputs * j + t * row + Math.sin(nIn), nIn * nOut + zero * value + seed * dy * y];
}

/** More outputs than inputs: jacobian_f takes forward sweeps, whose wrapper local was (j) =>. */
/** @differentiable */
export function jacobianOfJ(j: number, t: number): [number, number, number] {
  return [j * t, Math.sin(j) * t, t * t * j];
}

/** @differentiable */
export function countedOutputs(zero: number, value: number, nOut: number): number[] {
  const row: number[] = [];
  row.push(zero * value);
  row.push(nOut * Math.exp(zero));
  return row;
}

/** Its body is not differentiated; reverse mode is derived from the custom jvp below. @differentiable */
export function cube(pulled: number, t: number): number {
  return pulled ** 3 * t;
}

/** @derivative jvp(cube) */
export function cubeJvp(pulled: number, t: number, dpulled: number, dt: number): [number, number] {
  return [pulled ** 3 * t, 3 * pulled ** 2 * t * dpulled + pulled ** 3 * dt];
}

/** @differentiable */
export function callsCube(pulled: number, t: number): number {
  return cube(t, pulled) * pulled;
}

export class Body {
  constructor(readonly mass: number) {}

  @differentiable
  energy(self: number, self2: number): number {
    return this.mass * self * self2 + Math.sin(self);
  }
}

// ---- runtime names ----

/** @differentiable */
export function runtimeParams(tape: number, zerosLike: number, addTensor: number, flatten: number, sum: number, matmul: number): number {
  let s = 0;
  for (let i = 0; i < 2; i++) s += tape * zerosLike + Math.sin(addTensor * flatten) * sum * matmul;
  return s;
}

/** @differentiable */
export function runtimeLocals(x: number, y: number): number {
  const tape = x * y;
  let zerosLike = tape + x;
  const flatten: number[] = [x, y, tape];
  let addTensor = 0;
  for (let matmul = 0; matmul < flatten.length; matmul++) addTensor += flatten[matmul]! * zerosLike;
  zerosLike = Math.exp(addTensor * 0.1);
  return zerosLike * y;
}

/** The steepness of sigmoid below: a named call, so that sigmoid is called, not inlined (compiler/frontend/inline-helpers.ts). */
export function steepness(): number {
  return 1;
}

/** A user function named like the runtime op sigmoid. @differentiable */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x * steepness()));
}

/** @differentiable wrt(w) */
export function tensorLoss(w: Tensor, x: Tensor): number {
  // The runtime sigmoid reads a parameter, so it is a call of its own: a sigmoid after the
  // matmul would be fused into the matmul's epilogue and never be named in the output.
  const h = tanh(matmul(x, sigmoidOp(w)));
  // A sum of a product would take the product as a prologue (sumFused); a sum of h is the
  // runtime's sum, which the parameters named sum in runtimeParams must not shadow.
  return sigmoid(sum(h) * 0.5);
}

// ---- names of generated functions ----

/** Its body is not differentiated: the custom derivative vjp_softplus is. @differentiable */
export function softplus(x: number): number {
  return Math.log1p(Math.exp(x));
}

/** @derivative vjp(softplus) */
export function vjp_softplus(x: number, dy: number): number {
  return dy / (1 + Math.exp(-x));
}

/** @differentiable */
export function usesSoftplus(x: number, y: number): number {
  return softplus(x * y) + x;
}

/** @differentiable */
export function inner(a: number): number {
  return a * Math.exp(a);
}

/** @differentiable */
export function shadowsExports(valueAndVjp_inner: number, jvp_inner: number, valueAndVjp_shadowsExports: number): number {
  return inner(valueAndVjp_inner) * jvp_inner + valueAndVjp_shadowsExports * valueAndVjp_inner;
}

/** @differentiable */
export function shadowsVector(jvp_shadowsVector: number, vjp_shadowsVector: number): [number, number, number] {
  return [jvp_shadowsVector * vjp_shadowsVector, Math.cos(jvp_shadowsVector), vjp_shadowsVector];
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('hostile-names-wrappers', source);
});

describe('reserved and contextual words', () => {
  test('a parameter named o gets the tangent o_d, not do (and elete, ebugger, efault, eclare likewise)', () => {
    const jvp = signatureOf(m.text, 'jvp_reservedTangents');
    expect(jvp).toContain('o_d: number, elete_d: number, ebugger_d: number, efault_d: number, eclare_d: number');
    const code = sectionOf(m.text, 'reservedTangents').split('\n').filter((l) => !/^\s*(\/\/|\/\*\*)/.test(l));
    expect(code.join('\n')).not.toMatch(/\b(do|delete|debugger|default|declare)\b/);
    checkDerivatives(m, 'reservedTangents', [0.7, -0.4, 1.1, 0.3, -0.9]);
  });

  test('parameters and locals named of, as, get, set, type, async, from, number, string, any, unknown, never, object', () => {
    checkDerivatives(m, 'contextualWords', [0.5, -0.3, 0.8, 1.2, -0.6, 0.4, 0.9, -1.1, 0.2, 0.7]);
  });
});

describe('wrapper locals', () => {
  test('a vector-valued function with parameters named inputs, j, t, row, nIn, nOut, zero, value, seed, dy, y', () => {
    checkVector(m, 'wrapperNames', [0.3, -0.5, 0.8, 1.1, -0.2, 0.6, 0.9, -0.7, 0.4, 1.3, -0.8]);
  });

  test('jacobian_f of a function whose parameter is named j (forward sweeps, one per input)', () => {
    const jac = checkVector(m, 'jacobianOfJ', [0.6, -1.2]);
    const [j, t] = [0.6, -1.2];
    const expected = [[t, j], [Math.cos(j) * t, Math.sin(j)], [t * t, 2 * t * j]];
    jac.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(expected[r]![c]!, 12)));
  });

  test('an array result counted by a forward sweep, with parameters named zero, value, nOut and a local named row', () => {
    checkVector(m, 'countedOutputs', [0.4, -0.9, 1.3]);
  });

  test('pulled and t as parameters of a function with a custom jvp (reverse mode derived from it)', () => {
    checkDerivatives(m, 'cube', [0.8, -1.3]);
    checkDerivatives(m, 'callsCube', [0.8, -1.3]);
  });

  test('a method with parameters named self and self2: the instance takes another name; grad_Body_energy(instance, self, self2) is right', () => {
    const signature = signatureOf(m.text, 'grad_Body_energy');
    expect(signature).toMatch(/^export function grad_Body_energy\((\w+): Body, self: number, self2: number\)/);
    const body = new m.source.Body(2.5);
    const [gSelf, gSelf2] = checkDerivatives(boundMethod(m, body, 'Body', 'energy'), 'energy', [0.4, -1.5]);
    expect(gSelf).toBeCloseTo(2.5 * -1.5 + Math.cos(0.4), 12);
    expect(gSelf2).toBeCloseTo(2.5 * 0.4, 12);
  });
});

describe('runtime names', () => {
  test('parameters named tape, zerosLike, addTensor, flatten, sum, matmul: the runtime imports are renamed', () => {
    expect(m.text).toMatch(/\btape as wengertTape\b/);
    expect(m.text).toMatch(/\bsum as wengertSum\b/);
    checkDerivatives(m, 'runtimeParams', [0.5, -0.8, 1.2, 0.3, -0.4, 0.9]);
  });

  test('locals named tape, zerosLike, flatten (an array), addTensor and a loop counter named matmul', () => {
    checkDerivatives(m, 'runtimeLocals', [0.7, -0.6]);
  });

  test('a user function named sigmoid called from a tensor loss that also uses the runtime sigmoid', () => {
    expect(m.text).toMatch(/\bsigmoid as wengertSigmoid\b/);
    const rng = new Rng(8);
    const w: Tensor = randn([3, 2], rng, { dtype: 'float64' });
    const x: Tensor = randn([4, 3], rng, { dtype: 'float64' });
    checkDerivatives(m, 'tensorLoss', [w, x], { wrt: [0], fdTol: 1e-6 });
    checkDerivatives(m, 'sigmoid', [0.3]);
  });
});

describe('names of generated functions', () => {
  test('vjp_softplus as the custom derivative of softplus: no self-call, right numbers', () => {
    expect(m.grad.grad_softplus(0.3)).toBeCloseTo(1 / (1 + Math.exp(-0.3)), 14);
    checkDerivatives(m, 'softplus', [0.3]);
    checkDerivatives(m, 'usesSoftplus', [0.6, -1.4]);
  });

  test('parameters named like generated exports of a callee and of the function itself', () => {
    checkDerivatives(m, 'shadowsExports', [0.4, -0.7, 1.1]);
    checkVector(m, 'shadowsVector', [0.9, -0.5]);
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([gradPathOf(m)]).join('\n')).toBe('');
  });
});

describe('names refused with a located error and a hint', () => {
  test('parameters and locals named like the globals generated code uses (Math, NaN, Infinity, Float64Array)', () => {
    const { result } = compileFixture('hostile-names-globals', `/** @differentiable */
export function a(Math: number): number {
  return Math * 2;
}
/** @differentiable */
export function b(x: number, NaN: number): number {
  return x * NaN;
}
/** @differentiable */
export function c(x: number): number {
  const Infinity = x * x;
  return Infinity * x;
}
/** @differentiable */
export function d(x: number, Float64Array: number): number {
  return x * Float64Array;
}
`);
    const errors = result.diagnostics.filter((e) => e.severity !== 'warning');
    expect(errors.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      "2:19 the parameter Math hides the global Math, which wengert's generated code uses",
      "6:30 the parameter NaN hides the global NaN, which wengert's generated code uses",
      "11:9 the local variable Infinity hides the global Infinity, which wengert's generated code uses",
      "15:30 the parameter Float64Array hides the global Float64Array, which wengert's generated code uses",
    ]);
    for (const e of errors) expect(e.hint, formatDiagnostic(e)).toMatch(/^rename the (parameter|local variable), to \w+_ for example$/);
    expect(result.files).toEqual([]);
  });
});

describe('property: programs with names drawn from the hostile lists build, load and differentiate right', () => {
  const seed = 20250608;
  const specs = fc.sample(programArb, { numRuns: 30, seed });
  let built: Built<any, any>;
  beforeAll(async () => {
    built = await buildFixture('hostile-names-property', renderPrograms(specs));
  }, 120_000);

  test('the generated file type-checks under strict', () => {
    expect(typecheck([gradPathOf(built)]).join('\n')).toBe('');
  });

  specs.forEach((spec, k) => {
    test(`program ${k} (fast-check seed ${seed}): ${describeProgram(spec, k)}`, () => {
      checkProgram(built, spec, k);
    });
  });
});
