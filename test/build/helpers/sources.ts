/**
 * Source texts shared by the build, CLI and watch tests.
 */

/** A scalar source with one differentiable function `name(x)` returning `body`. */
export function modelSource(body: string, name = 'sq'): string {
  return `/** @differentiable */\nexport function ${name}(x: number): number {\n  return ${body};\n}\n`;
}

/** A differentiable function with a `try`, which the compiler refuses at line 3, column 3. */
export const unsupportedSource = `/** @differentiable */
export function bad(x: number): number {
  try {
    return x;
  } catch {
    return 0;
  }
}
`;

/** A module with no differentiable function. */
export const plainSource = 'export function plain(x: number): number {\n  return x + 1;\n}\n';

/** A differentiable module that would write a marker file if the build ever ran it. */
export function sideEffectSource(markerPath: string): string {
  return `import * as fs from 'node:fs';
fs.writeFileSync(${JSON.stringify(markerPath)}, 'the build ran user code');
/** @differentiable */
export function sq(x: number): number {
  return x * x;
}
`;
}
