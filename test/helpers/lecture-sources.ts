/**
 * The lectures' worked examples as differentiable source, one home for the
 * tests that differentiate them once (test/compiler/lectures.test.ts) and
 * twice (test/compiler/higher-order.test.ts). `options` go into each tag
 * (`order(2)`); the logistic map is always `wrt(x)`.
 */
export function lectureSources(options = ''): string {
  const tag = (extra = '') => `/** @differentiable${[extra, options].filter(Boolean).map((o) => ` ${o}`).join('')} */`;
  return `
${tag()}
export function seed(x1: number, x2: number): number {
  return x1 ** 2 + (x1 - x2) - Math.log(x1 ** 2 + x2 ** 2);
}

${tag()}
export function seedWithA(x1: number, x2: number, a: number): number {
  return x1 ** 2 + (x1 - x2) ** a - Math.log(x1 ** 2 + x2 ** 2);
}

${tag()}
export function logProduct(a: number, b: number): number {
  return Math.log(a * b);
}

${tag()}
export function forwardExample(x1: number, x2: number): number {
  return Math.log(x1) + x1 * x2 - Math.sin(x2);
}

${tag('wrt(x)')}
export function logisticMap(x: number, n: number): number {
  let v = x;
  for (let i = 0; i < n; i++) v = 4 * v * (1 - v);
  return v;
}
`;
}
