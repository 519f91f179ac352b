/**
 * The Wengert list of every golden case (test/compiler/golden/cases.ts),
 * printed as `wengert inspect` prints it (compiler/ir/print.ts, with the
 * active variables marked) and pinned inline, so a change of lowering or of
 * the activity analysis shows up in review next to the change of the
 * emitted code (golden.test.ts). A function with custom derivatives has no
 * list: its body is not differentiated. Update with
 * `npx vitest run test/compiler/ir-snapshots.test.ts -u` after checking the
 * new lists are right.
 */
import { describe, expect, test } from 'vitest';
import { analyzeFunction } from '../../compiler/pipeline.ts';
import { printFunction } from '../../compiler/ir/print.ts';
import { caseSourcePaths, differentiableFunctions, goldenCase, goldenCases } from './golden/cases.ts';

/** The printed Wengert lists of every differentiable function of a case, in source order. */
function wengertLists(caseName: string): string {
  const parts = differentiableFunctions(caseSourcePaths(goldenCase(caseName))).map(({ annotated, sourceFile, custom }) => {
    if (custom) {
      const given = [custom.vjp && `vjp ${custom.vjp}`, custom.jvp && `jvp ${custom.jvp}`].filter(Boolean).join(', ');
      return `function ${annotated.name}: custom derivatives (${given}), body not differentiated`;
    }
    const { ir, activity } = analyzeFunction(annotated, sourceFile);
    return printFunction(ir, activity);
  });
  return `\n${parts.join('\n\n')}\n`;
}

/** The cases pinned below, in the order of cases.ts. */
const pinned = ['seed', 'logistic', 'earlyReturn', 'branches', 'loops', 'arrays', 'calls', 'tensors', 'vector', 'custom', 'methods'];

describe('Wengert lists of the golden cases', () => {
  test('every golden case is pinned here', () => {
    expect(pinned).toEqual(goldenCases.map((c) => c.name));
  });

  test('seed', () => {
    expect(wengertLists('seed')).toMatchInlineSnapshot(`
      "
      function f(x1: number (wrt), x2: number (wrt))
        t1 = pow(x1, 2)  # active  @8
        t2 = sub(x1, x2)  # active  @8
        t3 = add(t1, t2)  # active  @8
        t4 = pow(x1, 2)  # active  @8
        t5 = pow(x2, 2)  # active  @8
        t6 = add(t4, t5)  # active  @8
        t7 = log(t6)  # active  @8
        t8 = sub(t3, t7)  # active  @8
        return t8  @8
      "
    `);
  });

  test('logistic', () => {
    expect(wengertLists('logistic')).toMatchInlineSnapshot(`
      "
      function logistic(x: number (wrt), n: number)
        v = x  # active  @8
        i = 0  @9
        while i < n:  @9
          t1 = mul(4, v)  # active  @9
          t2 = sub(1, v)  # active  @9
          v = mul(t1, t2)  # active  @9
          i = add(i, 1)  @9
        return v  @10
      "
    `);
  });

  test('earlyReturn', () => {
    expect(wengertLists('earlyReturn')).toMatchInlineSnapshot(`
      "
      function firstAbove(xs: Float64Array (wrt), limit: number (wrt))
        returned = const false  @7
        acc = 0  # active  @8
        i = 0  @9
        while !returned && i < xs.length:  @9
          t1 = load xs[i]  # active  @10
          t2 = t1  # active  @10
          t3 = mul(t1, t2)  # active  @10
          acc = add(acc, t3)  # active  @10
          if acc > limit:  @11
            result = sqrt(acc)  # active  @11
            returned = const true  @11
          if !returned:  @9
            i = add(i, 1)  @9
        if !returned:  @13
          result = acc  # active  @13
        return result  @13
      "
    `);
  });

  test('branches', () => {
    expect(wengertLists('branches')).toMatchInlineSnapshot(`
      "
      function piecewise(x: number (wrt), y: number (wrt))
        r = 0  # active  @8
        if x * y > 1:  @9
          t1 = mul(x, y)  # active  @10
          t2 = log(t1)  # active  @10
          r = add(t2, y)  # active  @10
        else:
          t3 = mul(y, y)  # active  @12
          r = sub(x, t3)  # active  @12
        t4 = mul(r, x)  # active  @14
        return t4  @14
      "
    `);
  });

  test('loops', () => {
    expect(wengertLists('loops')).toMatchInlineSnapshot(`
      "
      function damped(x: number (wrt), limit: number)
        v = x  # active  @8
        steps = 0  @9
        broke1 = const false  @10
        while !broke1 && steps < 10:  @10
          t1 = mul(0.5, v)  # active  @11
          t2 = mul(x, v)  # active  @11
          t3 = sin(t2)  # active  @11
          v = add(t1, t3)  # active  @11
          steps = add(steps, 1)  @12
          if v > limit:  @13
            broke1 = const true  @13
        t4 = mul(v, steps)  # active  @15
        return t4  @15
      "
    `);
  });

  test('arrays', () => {
    expect(wengertLists('arrays')).toMatchInlineSnapshot(`
      "
      function roughness(xs: Float64Array (wrt))
        n = const xs.length  @8
        t1 = sub(n, 1)  @9
        diffs: number[] = new Array(t1)  # active  @9
        i = 0  @10
        while i + 1 < n:  @10
          t2 = add(i, 1)  @10
          t3 = load xs[t2]  # active  @10
          t4 = load xs[i]  # active  @10
          t5 = sub(t3, t4)  # active  @10
          store diffs[i] = t5  @10
          i = add(i, 1)  @10
        s = 0  # active  @11
        i_2 = 0  @12
        while i_2 < diffs.length:  @12
          t6 = load diffs[i_2]  # active  @12
          t7 = t6  # active  @12
          t8 = mul(t6, t7)  # active  @12
          t9 = load xs[i_2]  # active  @12
          t10 = mul(t8, t9)  # active  @12
          s = add(s, t10)  # active  @12
          i_2 = add(i_2, 1)  @12
        return s  @13
      "
    `);
  });

  test('calls', () => {
    expect(wengertLists('calls')).toMatchInlineSnapshot(`
      "
      function bump(a: number (wrt), b: number (wrt))
        t1 = neg(b)  # active  @10
        t2 = mul(t1, b)  # active  @10
        t3 = exp(t2)  # active  @10
        t4 = mul(a, t3)  # active  @10
        return t4  @10

      function chain(x: number (wrt), y: number (wrt))
        s = 0  # active  @15
        i = 0  @16
        while i < 3:  @16
          t1 = add(x, i)  # active  @16
          t2 = mul(y, s)  # active  @16
          a = t1  # active  @9
          b = t2  # active  @9
          t3 = neg(b)  # active  @10
          t4 = mul(t3, b)  # active  @10
          t5 = exp(t4)  # active  @10
          bumpResult = mul(a, t5)  # active  @10
          s = add(s, bumpResult)  # active  @16
          i = add(i, 1)  @16
        t6 = call softClip(s, 2)  # active  @17
        a_2 = y  # active  @9
        b_2 = x  # active  @9
        t7 = neg(b_2)  # active  @10
        t8 = mul(t7, b_2)  # active  @10
        t9 = exp(t8)  # active  @10
        bumpResult_2 = mul(a_2, t9)  # active  @10
        t10 = add(t6, bumpResult_2)  # active  @17
        return t10  @17

      function softClip(x: number (wrt), scale: number (wrt))
        t1 = div(x, scale)  # active  @9
        t2 = tanh(t1)  # active  @9
        t3 = mul(scale, t2)  # active  @9
        return t3  @9
      "
    `);
  });

  test('tensors', () => {
    expect(wengertLists('tensors')).toMatchInlineSnapshot(`
      "
      function denseLoss(p: { W: Tensor; b: Tensor } (wrt), x: Tensor, labels: Int32Array<ArrayBufferLike>)
        t1: Tensor = load p.W  # active  @15
        t2: Tensor = matmul(x, t1, undefined, undefined)  # active  @15
        t3: Tensor = load p.b  # active  @15
        t4: Tensor = add(t2, t3)  # active  @15
        logits: Tensor = tanh(t4)  # active  @15
        t5 = softmaxCrossEntropy(logits, labels)  # active  @16
        return t5  @16
      "
    `);
  });

  test('vector', () => {
    expect(wengertLists('vector')).toMatchInlineSnapshot(`
      "
      function polar(r: number (wrt), theta: number (wrt))
        c = cos(theta)  # active  @8
        s = sin(theta)  # active  @9
        t1 = mul(r, c)  # active  @10
        t2 = mul(r, r)  # active  @10
        t3 = mul(t2, s)  # active  @10
        t4: number[] = new Array()  # active  @10
        push t4 <- t1  @10
        push t4 <- t3  @10
        return t4  @10
      "
    `);
  });

  test('custom', () => {
    expect(wengertLists('custom')).toMatchInlineSnapshot(`
      "
      function softplus: custom derivatives (vjp softplusVjp), body not differentiated

      function logCosh: custom derivatives (vjp logCoshVjp, jvp logCoshJvp), body not differentiated

      function smoothLoss(x: number (wrt), y: number (wrt))
        t1 = mul(x, y)  # active  @36
        t2 = call softplus(t1)  # active  @36
        t3 = sub(x, y)  # active  @36
        t4 = call logCosh(t3)  # active  @36
        t5 = add(t2, t4)  # active  @36
        return t5  @36
      "
    `);
  });

  test('methods', () => {
    expect(wengertLists('methods')).toMatchInlineSnapshot(`
      "
      function Spring_energy(x: number (wrt), y: number (wrt))
        t1 = hypot(x, y)  # active  @15
        t2 = load self.rest  @15
        stretch = sub(t1, t2)  # active  @15
        t3 = load self.stiffness  @16
        t4 = mul(0.5, t3)  @16
        t5 = mul(t4, stretch)  # active  @16
        t6 = mul(t5, stretch)  # active  @16
        return t6  @16
      "
    `);
  });
});
