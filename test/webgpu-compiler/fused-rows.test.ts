// The row loops the compiler writes for fused kernels (`cpuRows`, `cpuRowsF32`, compiler/emit/fuse-kernel.ts)
// against the kernels' element functions run through the CPU backend's shared loop: the same values, bit for bit,
// for every operand layout the backend's row walker makes, and in place in a matrix product's epilogue.
import { describe, expect, it } from 'vitest';
import { ts } from 'ts-morph';
import { cpu } from '../../runtime/backends/index.ts';
import type { FusedKernel } from '../../runtime/backends/fused.ts';
import { cpuHelpers } from '../../runtime/backends/op-table.ts';
import { fromArray } from '../../runtime/ops/creation.ts';
import type { Tensor } from '../../runtime/tensor.ts';
import { fusableOps, kernelText, type FusedNode } from '../../compiler/emit/fuse-kernel.ts';

const operand = (index: number): FusedNode => ({ kind: 'operand', index });
const op = (name: string, ...args: FusedNode[]): FusedNode => ({ kind: 'op', op: fusableOps.get(name)!, args });

/** Evaluates generated kernel text (TypeScript) in the test; the generated files import the helpers instead. */
function evaluate(text: string): unknown {
  const js = ts.transpile(`(${text})`, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, alwaysStrict: false }).trim().replace(/;$/, '');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...Object.keys(cpuHelpers), `return ${js}`)(...Object.values(cpuHelpers));
}

/** The kernel of `root` as the compiler writes it (`rows` true) and with its element functions only. */
function kernels(root: FusedNode, arity: number): { rows: FusedKernel; elements: FusedKernel } {
  const t = kernelText(root, arity);
  const elements: FusedKernel = {
    name: 'elements',
    arity,
    dtype: t.dtype,
    wgsl: t.wgsl,
    cpu: evaluate(t.cpu) as FusedKernel['cpu'],
    ...(t.cpuF32 ? { cpuF32: evaluate(t.cpuF32) as FusedKernel['cpu'] } : {}),
  };
  const rows: FusedKernel = {
    ...elements,
    name: 'rows',
    cpuRows: evaluate(t.cpuRows) as FusedKernel['cpuRows'],
    ...(t.cpuRowsF32 ? { cpuRowsF32: evaluate(t.cpuRowsF32) as FusedKernel['cpuRows'] } : {}),
  };
  return { rows, elements };
}

const values = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 3);
const data = (t: Tensor): number[] => Array.from(t.dataSync());

describe('generated fused row loops', () => {
  const tanhAdd = kernels(op('tanh', op('add', operand(0), operand(1))), 2);

  it('the kernel text has a float32 row loop exactly when it has a float32 element function', () => {
    const t = kernelText(op('tanh', op('add', operand(0), operand(1))), 2);
    expect(t.cpuF32).not.toBeNull();
    expect(t.cpuRowsF32).toContain('tanhF32(');
    expect(t.cpuRows).toContain('Math.tanh(');
    const plain = kernelText(op('mul', operand(0), op('add', operand(0), operand(1))), 2);
    expect(plain.cpuF32).toBeNull();
    expect(plain.cpuRowsF32).toBeNull();
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: full-size and scalar operands, a bias row, a column, a 0-d operand`, () => {
      const x = fromArray(values(24, 1), [2, 3, 4], dtype);
      const layouts: [string, (number | Tensor)[], number[]][] = [
        ['full-size', [x, fromArray(values(24, 2), [2, 3, 4], dtype)], [2, 3, 4]],
        ['scalar number', [x, 0.25], [2, 3, 4]],
        ['one-element tensor', [fromArray([0.5], [1], dtype), x], [2, 3, 4]],
        ['bias row', [x, fromArray(values(4, 3), [4], dtype)], [2, 3, 4]],
        ['column', [fromArray(values(6, 4), [2, 3, 1], dtype), x], [2, 3, 4]],
        ['outer product', [fromArray(values(3, 5), [3, 1], dtype), fromArray(values(4, 6), [1, 4], dtype)], [3, 4]],
        ['0-d', [fromArray([0.3], [], dtype), fromArray([-0.2], [], dtype)], []],
      ];
      for (const [layout, operands, shape] of layouts) {
        const got = cpu.fused(tanhAdd.rows, operands, shape, dtype);
        const want = cpu.fused(tanhAdd.elements, operands, shape, dtype);
        expect(data(got), layout).toEqual(data(want));
        expect(got.dtype, layout).toBe(dtype);
      }
    });
  }

  it('an int32 chain of five operands keeps int32 and the values of its element function', () => {
    const sum5 = kernels(op('add', op('sub', op('mul', operand(0), operand(1)), operand(2)), op('add', operand(3), operand(4))), 5);
    expect(sum5.rows.dtype).toBe('same');
    const ints = (n: number, k: number) => fromArray(Array.from({ length: n }, (_, i) => ((i * k) % 7) - 3), [n], 'int32');
    const operands = [ints(6, 1), ints(6, 2), 5, ints(6, 3), fromArray([2], [1], 'int32')];
    const got = cpu.fused(sum5.rows, operands, [6], 'int32');
    expect(data(got)).toEqual(data(cpu.fused(sum5.elements, operands, [6], 'int32')));
    expect(data(got)).toEqual([0, 1, 2, 3, 4, 5].map((i) => (((i % 7) - 3) * (((2 * i) % 7) - 3) - 5 + (((3 * i) % 7) - 3) + 2)));
  });

  it('the CPU backend runs the row loop, not the element function, when a kernel has one', () => {
    const k: FusedKernel = {
      ...tanhAdd.rows,
      cpu: () => {
        throw new Error('element function called');
      },
      cpuF32: () => {
        throw new Error('element function called');
      },
    };
    const x = fromArray(values(6, 7), [2, 3]);
    expect(data(cpu.fused(k, [x, fromArray(values(3, 8), [3])], [2, 3], 'float32'))).toEqual(data(cpu.fused(tanhAdd.elements, [x, fromArray(values(3, 8), [3])], [2, 3], 'float32')));
  });

  it("a product's epilogue runs in place over the new product and leaves the inputs alone", () => {
    const a = fromArray(values(12, 9), [3, 4]);
    const b = fromArray(values(20, 10), [4, 5]);
    const bias = fromArray(values(5, 11), [5]);
    const [av, bv, biasv] = [data(a), data(b), data(bias)];
    const got = cpu.matmulEpilogue(a, b, false, false, [], tanhAdd.rows, [bias]);
    const product = cpu.matmul(a, b, false, false, []);
    expect(got.shape).toEqual([3, 5]);
    expect(data(got)).toEqual(data(cpu.fused(tanhAdd.elements, [product, bias], [3, 5], 'float32')));
    expect([data(a), data(b), data(bias)]).toEqual([av, bv, biasv]);
  });
});
