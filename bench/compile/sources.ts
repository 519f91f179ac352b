/**
 * Synthetic sources for the compile-time benchmarks: a long unrolled
 * Wengert list, a file of many small differentiable functions, a function
 * nested many levels deep, and a project of many such files. Every source
 * is deterministic, so timings compare across runs.
 */

/** Lines of straight-line code, cycling through a few statement shapes over the last two temporaries. */
function straightLine(count: number, indent: string, prefix: string): string[] {
  const lines: string[] = [];
  let a = 'x';
  let b = 'y';
  for (let k = 1; k <= count; k++) {
    const t = `${prefix}${k}`;
    switch (k % 5) {
      case 0:
        lines.push(`${indent}const ${t} = Math.sin(${a}) * ${b} + 0.1;`);
        break;
      case 1:
        lines.push(`${indent}const ${t} = ${a} * ${b} - Math.exp(-${a} * 0.01);`);
        break;
      case 2:
        lines.push(`${indent}const ${t} = Math.log(1 + ${a} * ${a}) / (2 + Math.cos(${b}));`);
        break;
      case 3:
        lines.push(`${indent}acc = acc * 0.99 + ${a} * 0.01;`);
        continue;
      default:
        lines.push(`${indent}const ${t} = Math.tanh(${a} + ${b}) * 0.5 + Math.sqrt(1 + ${b} * ${b});`);
        break;
    }
    b = a;
    a = t;
  }
  lines.push(`${indent}acc += ${a} + ${b};`);
  return lines;
}

/** One differentiable function whose body is `lines` lines of unrolled arithmetic. */
export function unrolledFunction(lines: number, name = 'long'): string {
  return [
    '/** @differentiable */',
    `export function ${name}(x: number, y: number): number {`,
    '  let acc = 0;',
    ...straightLine(lines - 5, '  ', 't'),
    '  return acc;',
    '}',
    '',
  ].join('\n');
}

/** A small function with a loop, a branch and a local array (12 lines). */
export function smallFunction(name: string, k: number): string {
  return [
    '/** @differentiable */',
    `export function ${name}(x: number, w: Float64Array): number {`,
    `  const h = new Float64Array(w.length);`,
    '  let s = 0;',
    '  for (let i = 0; i < w.length; i++) {',
    `    h[i] = Math.tanh(w[i] * x + ${k % 7});`,
    '    if (h[i] > 0) s += h[i] * h[i];',
    '    else s -= 0.5 * h[i];',
    '  }',
    `  return s + Math.log(1 + x * x) * ${(k % 5) + 1};`,
    '}',
    '',
  ].join('\n');
}

/** A file of `count` small differentiable functions. */
export function manyFunctions(count: number, prefix = 'f'): string {
  const parts: string[] = [];
  for (let k = 0; k < count; k++) parts.push(smallFunction(`${prefix}${k}`, k));
  return parts.join('\n');
}

/** A function nested `depth` levels deep, alternating `for` loops and `if`s, with work at every level. */
export function deeplyNested(depth: number): string {
  const lines = ['/** @differentiable */', 'export function deep(x: number, y: number): number {', '  let s = x;'];
  for (let level = 0; level < depth; level++) {
    const indent = '  '.repeat(level + 1);
    if (level % 2 === 0) lines.push(`${indent}for (let i${level} = 0; i${level} < 2; i${level}++) {`);
    else lines.push(`${indent}if (s * ${level} > y) {`);
    lines.push(`${indent}  s = s * 0.9 + Math.sin(s + y * ${level});`);
  }
  for (let level = depth - 1; level >= 0; level--) lines.push(`${'  '.repeat(level + 1)}}`);
  lines.push('  return s;', '}', '');
  return lines.join('\n');
}

/** A project of `files` files, each with one unrolled function and small functions: about `linesPerFile` lines each. */
export function projectFiles(files: number, linesPerFile: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let f = 0; f < files; f++) {
    const unrolled = Math.floor(linesPerFile / 2);
    const small = Math.max(1, Math.round((linesPerFile - unrolled) / 13));
    out.set(`m${f}.ts`, `${unrolledFunction(unrolled, `long${f}`)}\n${manyFunctions(small, `g${f}_`)}`);
  }
  return out;
}

export function lineCount(text: string): number {
  return text.split('\n').length;
}
