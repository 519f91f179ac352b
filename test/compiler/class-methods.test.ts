/**
 * Classes (issue #10, item 9): a `@differentiable` method calling other
 * `@differentiable` methods of its class (`this.energy(x)`, private ones
 * too), reading `private` and `protected` fields; a free function calling a
 * method on a parameter; methods returning tuples and tensors; recursion
 * through a method; an inherited method. The instance is a constant: the
 * generated derivatives take it first (`jvp_Body_energy(self, x, dx)`).
 * Checked: reverse mode against central finite differences, forward
 * against reverse, the emitted code under strict, and what stays refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileFiles, formatDiagnostic } from 'wengert/compiler';
import { flatten, randn, Rng, unflatten } from 'wengert';
import { buildFixture, compileFixture, generatedDir, type Built } from '../helpers/generate.ts';
import { checkDerivatives } from '../helpers/check.ts';
import { dotFlat, finiteDifferenceGradient, maxRelError } from '../helpers/numeric.ts';
import { typecheck } from '../helpers/typecheck.ts';

const source = `
import { Tensor, add, differentiable, matmul, mul, sum, tanh } from 'wengert';

export class Body {
  private readonly g = 9.81;

  constructor(private mass: number, protected stiffness: number, public rest: number) {}

  @differentiable
  energy(x: number): number {
    const s = x - this.rest;
    return 0.5 * this.stiffness * s * s + this.mass * this.g * x;
  }

  @differentiable
  private kinetic(v: number): number {
    return 0.5 * this.mass * v * v;
  }

  /** Calls two methods of the class, one private, one twice. */
  @differentiable
  total(x: number, v: number): number {
    return this.energy(x) + this.kinetic(v) + 0.1 * this.energy(2 * x - v);
  }

  @differentiable({ wrt: ['x'] })
  scaled(x: number, k: number): number {
    return k * this.energy(x);
  }

  /** A method returning a tuple, destructured by its caller. */
  @differentiable
  parts(x: number, v: number): [number, number] {
    return [this.energy(x), this.kinetic(v)];
  }

  @differentiable
  ratio(x: number, v: number): number {
    const [e, k] = this.parts(x, v);
    return e / (1 + k * k) + this.scaled(v, 3);
  }

  /** An array argument passed on to another method. */
  @differentiable
  chainEnergy(xs: number[]): number {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += this.energy(xs[i]!);
    return s + this.spread(xs);
  }

  @differentiable
  spread(xs: number[]): number {
    let s = 0;
    for (let i = 1; i < xs.length; i++) s += this.stiffness * (xs[i]! - xs[i - 1]!) ** 2;
    return s;
  }

  /** Recursion through a method. */
  @differentiable({ wrt: ['x'] })
  settle(x: number, n: number): number {
    if (n <= 0) return this.energy(x);
    return this.settle(x - 0.1 * this.rest, n - 1) * 0.5 + x;
  }
}

/** A subclass calling a method it inherits. */
export class Heavy extends Body {
  @differentiable
  weight(x: number): number {
    return 2 * this.energy(x) + this.stiffness * x;
  }
}

/** A free function calling a method on a parameter. @differentiable wrt(x) */
export function outside(body: Body, x: number): number {
  return body.energy(x) * x + body.total(x, 1);
}

export class Layer {
  constructor(private readonly W: Tensor, private readonly b: Tensor) {}

  /** Returns a Tensor. */
  @differentiable
  forward(x: Tensor): Tensor {
    return tanh(add(matmul(x, this.W), this.b));
  }

  @differentiable
  loss(x: Tensor): number {
    const y = this.forward(this.forward(x));
    return sum(mul(y, y)) as number;
  }
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('class-methods', source);
});

/** The derivative checks for method `Class_method` of `self`, differentiated in the arguments at `wrt` (after the instance). */
function checkMethod(name: string, self: object, args: unknown[], wrt?: number[]): number[] {
  const method = name.slice(name.indexOf('_') + 1);
  const primal = (obj: Record<string, (...a: unknown[]) => number>, ...rest: unknown[]) => obj[method]!.call(obj, ...rest);
  const mod = { source: { [name]: primal }, grad: m.grad };
  return checkDerivatives(mod, name, [self, ...args], { wrt: (wrt ?? args.map((_, i) => i)).map((i) => i + 1) });
}

describe('methods calling methods of their class', () => {
  const body = () => new m.source.Body(1.5, 4, 0.25);

  test('this.energy(x) and the private this.kinetic(v): reverse against finite differences, forward against reverse', () => {
    for (const [x, v] of [[0.7, -1.2], [-0.3, 2.5]]) checkMethod('Body_total', body(), [x, v]);
  });

  test('the call is a call of the method derivative with the instance first', () => {
    expect(m.text).toContain('jvp_Body_energy(self, x, dx)');
    expect(m.text).toMatch(/valueAndVjp_Body_energy\(self, x, d\w+\)/);
    expect(m.text).toContain('self.energy(x)');
    expect(m.text).toContain("self['kinetic'](v)");
    // Private fields are read by element access.
    expect(m.text).toContain("self['mass']");
    expect(m.text).toContain("self['stiffness']");
    expect(m.text).toContain("self['g']");
  });

  test('a method differentiated in some parameters only, called with a constant there', () => {
    checkMethod('Body_scaled', body(), [0.4, 3], [0]);
    checkMethod('Body_ratio', body(), [0.9, -0.6]);
  });

  test('a method returning a tuple, destructured by its caller', () => {
    const b = body();
    expect(m.grad.jvp_Body_parts(b, 0.5, 1, 1, 0)[0]).toEqual(b.parts(0.5, 1));
    checkMethod('Body_ratio', b, [-1.1, 0.35]);
  });

  test('an array argument passed on to another method', () => {
    checkMethod('Body_chainEnergy', body(), [[0.3, -0.8, 1.4, 0.05]]);
  });

  test('recursion through a method', () => {
    for (const n of [0, 1, 5]) checkMethod('Body_settle', body(), [0.8, n], [0]);
    expect(m.text).toContain("throw recursionFailed(error, 'Body_settle', 'valueAndVjp_Body_settle', mark);");
  });

  test('a subclass calling a method it inherits, with the subclass instance', () => {
    const heavy = new m.source.Heavy(2, 3, -0.5);
    checkMethod('Heavy_weight', heavy, [1.3]);
    expect(m.text).toContain('jvp_Body_energy(self, x, dx)');
  });

  test('a free function calling methods on a parameter', () => {
    const b = body();
    const mod = { source: { outside: m.source.outside }, grad: m.grad };
    checkDerivatives(mod, 'outside', [b, 0.6], { wrt: [1] });
    checkDerivatives(mod, 'outside', [b, -2.2], { wrt: [1] });
    expect(m.text).toContain('jvp_Body_energy(body, x, dx)');
  });

  test('a method returning a Tensor, called twice by another method', () => {
    const rng = new Rng(3);
    const f64 = (shape: number[]) => randn(shape, rng, { dtype: 'float64' });
    const layer = new m.source.Layer(f64([3, 3]), f64([3]));
    const x = f64([2, 3]);
    const g = flatten(m.grad.grad_Layer_loss(layer, x));
    const fd = finiteDifferenceGradient((xx: unknown) => layer.loss(xx), [x], [0], 1e-6);
    expect(maxRelError(g, fd)).toBeLessThan(1e-6);
    const dir = unflatten(x, flatten(x).map((_, i) => Math.cos(i)));
    const [y, dy] = m.grad.jvp_Layer_loss(layer, x, dir);
    expect(y).toBeCloseTo(layer.loss(x), 12);
    expect(dy).toBeCloseTo(dotFlat(g, flatten(dir)), 9);
    expect(m.text).toContain('jvp_Layer_forward(self, ');
  });

  test('the generated file type-checks under strict', () => {
    expect(typecheck([m.sourcePath.replace(/\.ts$/, '.grad.ts')])).toEqual([]);
  });
});

describe('what stays refused, with a hint', () => {
  const refused = (name: string, body: string, extra = '') => {
    const { result } = compileFixture(`class-methods-refused/${name}`, `import { differentiable } from 'wengert';\n${extra}\nexport class C {\n  constructor(readonly k: number) {}\n${body}\n}\n`);
    expect(result.files).toEqual([]);
    return result.diagnostics.filter((d) => d.severity !== 'warning').map(formatDiagnostic);
  };

  test('a method that is not @differentiable', () => {
    const [first] = refused('plain', '  helper(x: number): number { return x * this.k; }\n  @differentiable\n  f(x: number): number { return this.helper(x); }');
    expect(first).toMatch(/plain\.ts:\d+:\d+: error: this\.helper\(\.\.\.\) calls C\.helper, which is not @differentiable\n {2}hint: mark helper with the @differentiable decorator/);
  });

  test('a #private method', () => {
    const [first] = refused('hash-private', '  @differentiable\n  #helper(x: number): number { return x * this.k; }\n  @differentiable\n  f(x: number): number { return this.#helper(x); }');
    expect(first).toMatch(/error: this\.#helper\(\.\.\.\) calls the #private method #helper[^\n]*\n {2}hint: declare it as a TypeScript private method \(private helper\(\.\.\.\)\)/);
  });

  test('a method overridden in a subclass: the derivative could not follow the override', () => {
    const sub = '\nexport class D extends C {\n  @differentiable\n  g(x: number): number { return x; }\n}\n';
    const { result } = compileFixture(
      'class-methods-refused/overridden',
      `import { differentiable } from 'wengert';\nexport class C {\n  constructor(readonly k: number) {}\n  @differentiable\n  g(x: number): number { return this.k * x; }\n  @differentiable\n  f(x: number): number { return this.g(x) * x; }\n}\n${sub}`,
    );
    const [first] = result.diagnostics.map(formatDiagnostic);
    expect(first).toMatch(/error: C\.g is overridden in D, and the derivative of this\.g\(\.\.\.\) would always be C's\n {2}hint: give the two methods different names/);
  });

  test('a static method', () => {
    const [first] = refused('static', '  static helper(x: number): number { return x; }\n  @differentiable\n  f(x: number): number { return this.k * C.helper(x); }');
    expect(first).toMatch(/error: method call C\.helper\(\.\.\.\) is not supported\n {2}hint: /);
  });

  test('a method of a class declared in another file', () => {
    const dir = path.join(generatedDir, 'class-methods-refused', 'two-files');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'base.ts'), "import { differentiable } from 'wengert';\nexport class Base {\n  constructor(readonly k: number) {}\n  @differentiable\n  g(x: number): number { return this.k * x * x; }\n}\n");
    const derived = path.join(dir, 'derived.ts');
    fs.writeFileSync(derived, "import { differentiable } from 'wengert';\nimport { Base } from './base.ts';\nexport class Derived extends Base {\n  @differentiable\n  f(x: number): number { return this.g(x) + x; }\n}\n");
    const result = compileFiles([derived]);
    expect(result.files).toEqual([]);
    const [first] = result.diagnostics.map(formatDiagnostic);
    expect(first).toMatch(/derived\.ts:5:33: error: this\.g\(\.\.\.\) calls Base\.g, which is declared in another file\n {2}hint: /);
  });

  test('a method called with an argument its wrt(...) does not differentiate', () => {
    const [first] = refused('non-wrt', "  @differentiable({ wrt: ['x'] })\n  g(x: number, k: number): number { return k * x; }\n  @differentiable\n  f(x: number): number { return this.g(x, x); }");
    expect(first).toMatch(/error: argument 2 of this\.g depends on x, but this\.g does not differentiate that parameter\n {2}hint: /);
  });
});
