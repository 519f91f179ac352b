/**
 * Loops versioned on a flag they do not change (issue #11,
 * compiler/emit/versioned-loops.ts): the exactness flag of a guarded
 * counter (GMM's `liExact`, compiler/analysis/tbr-counters.ts), or a flag
 * of the user's code, is tested once before the loop, which is emitted once
 * per value of it, instead of on every trip.
 *
 * Two halves:
 *   - differentiable fixtures, checked against central finite differences
 *     and forward against reverse mode, with exact and inexact counters (the
 *     inexact copy of the loop still pushes and pops the counter, and the
 *     tapes balance), with the shape of the generated loops;
 *   - the pass on hand-written functions, run on inputs where the refused
 *     rewrite would change the result: a flag the loop assigns, a flag a
 *     nested function assigns, a flag declared after the loop. Each fails
 *     when its rule is dropped from the pass (tried by deleting it).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { ts } from 'ts-morph';
import { checkDerivatives } from '../helpers/check.ts';
import { buildFixture, functionText, withoutReservations, type Built } from '../helpers/generate.ts';
import { triangularCounterSource } from '../helpers/triangular-sources.ts';
import { tapeCallsText, traffic } from '../helpers/tape-traffic.ts';
import { MAX_VERSIONED_NODES, versionLoops } from '../../compiler/emit/versioned-loops.ts';
import { printStatements } from '../../compiler/emit/printer.ts';

const source = `${triangularCounterSource}
/** A flag of the user's code, the same on every trip. @differentiable wrt(v) */
export function flagged(v: Float64Array, n: number, mode: number): number {
  const up = mode > 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (up) s += Math.sin(v[i]) * s;
    else s -= v[i] * v[i];
  }
  return s + 1;
}

/** A flag the loop flips: tested on every trip, as written. @differentiable wrt(v) */
export function toggled(v: Float64Array, n: number): number {
  let up = true;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (up) s += Math.sin(v[i]);
    else s += v[i] * s;
    up = !up;
  }
  return s;
}
`;

let m: Built<any, any>;
beforeAll(async () => {
  m = await buildFixture('versioned-loops', source);
});

/** The text of one generated function. */
const body = (name: string): string => functionText(withoutReservations(m.text), name);

/**
 * The `if` statements on `flag` (or `!flag`) in `text`: the number of loops around each, whether
 * each of its branches is one loop (in a block of its own, as compiler/emit/tape-cursors.ts leaves it, or not),
 * and the text of its branches.
 */
function flagTests(text: string, flag: string): { depth: number; versions: boolean; then: string; otherwise: string }[] {
  const file = ts.createSourceFile('g.ts', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const isLoop = (n: ts.Node) => ts.isForStatement(n) || ts.isWhileStatement(n) || ts.isDoStatement(n);
  const oneLoop = (s: ts.Statement | undefined): boolean => {
    if (s === undefined || !ts.isBlock(s)) return false;
    const loops = s.statements.filter(isLoop);
    if (loops.length === 1) return s.statements.every((x) => isLoop(x) || ts.isVariableStatement(x) || ts.isExpressionStatement(x));
    return s.statements.length === 1 && oneLoop(s.statements[0]);
  };
  const out: { depth: number; versions: boolean; then: string; otherwise: string }[] = [];
  const visit = (n: ts.Node, depth: number): void => {
    if (ts.isIfStatement(n) && n.expression.getText(file).replace(/^!/, '') === flag) {
      out.push({ depth, versions: oneLoop(n.thenStatement) && oneLoop(n.elseStatement), then: n.thenStatement.getText(file), otherwise: n.elseStatement?.getText(file) ?? '' });
    }
    ts.forEachChild(n, (c) => visit(c, depth + (isLoop(n) ? 1 : 0)));
  };
  visit(file, 0);
  return out;
}


const a6 = () => Float64Array.from([0.3, -0.7, 0.45, 1.1, -0.2, 0.6]);

describe('loops versioned on a guarded counter', () => {
  test("the triangular loop tests liExact once per entry, in both sweeps; nothing tests it per trip", () => {
    // Tape cursors (compiler/emit/tape-cursors.ts) read back as the pushes and pops they stand for.
    const tests = flagTests(tapeCallsText(body('valueAndVjp_triangular')), 'liExact');
    expect(tests).toHaveLength(2);
    // Each test is inside the loops over j and c, and its two branches are the two copies of the loop over r.
    expect(tests.every((t) => t.versions && t.depth === 2)).toBe(true);
    // The exact copies neither push nor pop li; the inexact ones do. The forward sweep's pair first.
    const [forward, reverse] = tests;
    expect(forward!.then).not.toMatch(/valueTape\.push\(li\)/);
    expect(forward!.otherwise).toMatch(/valueTape\.push\(li\)/);
    expect(reverse!.then).not.toMatch(/li = valueTape\.pop\(\)/);
    expect(reverse!.then).toMatch(/li = li - 1;/);
    expect(reverse!.otherwise).toMatch(/li = valueTape\.pop\(\)/);
    expect(reverse!.otherwise).not.toMatch(/li = li - 1;/);
  });

  test('exact and inexact starts: exact gradients, the same tape traffic as the unversioned loops, balanced tapes', () => {
    for (const [start, mm] of [[2, 0], [2, 3], [0.25, 2], [1 / 3, 2], [0.5, 4]] as const) checkDerivatives(m, 'triangular', [a6(), 5, start, mm], { wrt: [0] });
    // One old li per outer trip; with the start 0.25, j = 1's 6 inner trips (d = 4) push li.
    expect(traffic(() => m.grad.grad_triangular(a6(), 4, 2, 3))).toEqual({ values: 3, control: expect.any(Number), balanced: true });
    expect(traffic(() => m.grad.grad_triangular(a6(), 4, 0.25, 2))).toMatchObject({ values: 2 + 6, balanced: true });
    // Beyond 2^52 the flag is false from the start: the recorded copy replays li.
    const big = traffic(() => m.grad.grad_triangular(a6(), 3, 2 ** 53, 2));
    expect(big).toMatchObject({ values: 2 + 3, balanced: true });
  });
});

describe('loops versioned on a flag of the user', () => {
  test('a flag the loop does not change: one copy per value in forward mode and the forward sweep', () => {
    for (const mode of [1, -1]) for (const n of [0, 3]) checkDerivatives(m, 'flagged', [a6(), n, mode], { wrt: [0] });
    for (const f of ['jvp_flagged', 'valueAndVjp_flagged']) {
      const tests = flagTests(body(f), 'up');
      expect(tests, f).toHaveLength(1);
      expect(tests[0], f).toMatchObject({ depth: 0, versions: true });
    }
  });

  test('a flag the loop flips is tested on every trip', () => {
    for (const n of [0, 1, 4, 5]) checkDerivatives(m, 'toggled', [a6(), n], { wrt: [0] });
    for (const f of ['jvp_toggled', 'valueAndVjp_toggled']) expect(flagTests(body(f), 'up').every((t) => t.depth === 1 && !t.versions), f).toBe(true);
  });
});

/** Parses `source` (function declarations), versions its loops and prints it back. */
function versioned(source: string): string {
  const file = ts.createSourceFile('t.ts', source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return printStatements(versionLoops(file.statements));
}

/** Runs function `name` of `source` on `args`. */
function run(source: string, name: string, ...args: unknown[]): unknown {
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  return new Function(`${js}\nreturn ${name};`)()(...args);
}

function sameResults(source: string, name: string, ...args: unknown[]): string {
  const after = versioned(source);
  expect(run(after, name, ...args)).toEqual(run(source, name, ...args));
  return after;
}

describe('the pass on hand-written loops', () => {
  test('every test of the flag in the loop is resolved in each copy, negated ones and else branches too', () => {
    const source = `function f(flag: boolean, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (!flag) {
      s += 1;
    }
    if (flag) s *= 2;
    else {
      const k = i * 3;
      s -= k;
    }
    for (let j = 0; j < 2; j++) {
      if (flag) s += j;
    }
  }
  return s;
}`;
    for (const flag of [true, false]) sameResults(source, 'f', flag, 4);
    const after = versioned(source);
    expect(after).toMatch(/^\s*if \(flag\) \{\n\s*for \(let i = 0;/m);
    // Only the versioning test is left; the block that declares k stays a block.
    expect(after.match(/if \(!?flag\)/g)).toHaveLength(1);
    expect(after).toMatch(/\{\n\s*const k = i \* 3;\n\s*s -= k;\n\s*\}/);
  });

  test('a flag a nested function assigns, called in the loop, is tested on every trip', () => {
    const source = `function f(n: number): number {
  let up = true;
  const flip = () => { up = !up; };
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (up) s += 1;
    else s += 10;
    flip();
  }
  return s;
}`;
    expect(sameResults(source, 'f', 4)).not.toMatch(/if \(up\) \{\n\s*for/);
  });

  test('a flag the loop assigns is tested on every trip', () => {
    const source = `function f(n: number): number {
  let up = true;
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (up) s += 1;
    else s += 10;
    up = i < 1;
  }
  return s;
}`;
    expect(sameResults(source, 'f', 4)).not.toMatch(/if \(up\) \{\n\s*for/);
  });

  test('a flag declared after the loop is not read before it', () => {
    // The loop does not run (n = 0), so it never reads late; a test before it would throw (late uninitialised).
    const source = `function f(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (late) s += 1;
  }
  const late = n > 2;
  return s + (late ? 1 : 0);
}`;
    expect(sameResults(source, 'f', 0)).not.toMatch(/if \(late\) \{\n\s*for/);
  });

  test('a labelled loop stays a loop; the loops inside it are versioned', () => {
    const source = `function f(flag: boolean, n: number): number {
  let s = 0;
  outer: for (let i = 0; i < n; i++) {
    if (flag) s += 1;
    for (let j = 0; j < n; j++) {
      if (!flag) s += 2;
      if (j > i) continue outer;
    }
  }
  return s;
}`;
    for (const flag of [true, false]) sameResults(source, 'f', flag, 3);
    const after = versioned(source);
    expect(after).toMatch(/outer: for \(let i = 0/);
    expect(after).toMatch(/if \(flag\) \{\n\s*for \(let j = 0/);
  });

  test('a loop larger than the limit is not copied', () => {
    const lines = Array.from({ length: MAX_VERSIONED_NODES / 8 }, (_, k) => `    s = s + Math.sin(s + ${k});`).join('\n');
    const source = `function f(flag: boolean, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    if (flag) s += 1;
${lines}
  }
  return s;
}`;
    expect(sameResults(source, 'f', true, 2)).not.toMatch(/if \(flag\) \{\n\s*for/);
  });
});
