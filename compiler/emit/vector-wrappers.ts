/**
 * Vector modes of a vector-valued function `f` whose result is a tuple of
 * k numbers (k from the return type, at most MAX_LANES):
 *
 *   valueAndVjps_f(...args, cotangents)  k cotangents pulled back in one forward and one adjoint sweep
 *   jvps_f(...args, directions)          k tangent directions pushed forward in one sweep
 *   jacobian_f(...args)                  the k x n Jacobian from one of them
 *
 * `jacobian_f` counts the n input numbers (cheap: lengths), then
 *   - n >= k: one `valueAndVjps_f` with the k unit cotangents gives the k rows;
 *   - n < k:  `jvps_f` with the n unit directions (and k - n zero ones) gives the n columns in one sweep.
 * So a small Jacobian costs about one sweep whichever way it is taken
 * (reverse costs one forward sweep plus k adjoint lanes; forward one primal
 * plus k tangent lanes, the smaller of the two counts). Where the lane rewrite
 * gives up (compiler/transforms/lanes.ts), the Jacobian is taken with one
 * scalar sweep per row or column as before.
 *
 * The lane variants of same-file callees (`valueAndVjps2_g` for a call of
 * g inside 2 lanes) are made on demand and kept module-local.
 */
import { ts } from 'ts-morph';
import type { IRFunction, Param } from '../ir/ir.ts';
import { forEachStmt } from '../ir/walk.ts';
import type { ModuleNames } from './names.ts';
import { exportName, forwardedArgs, param, signatureParams } from '../transforms/common.ts';
import { forwardVector } from '../transforms/forward-vector.ts';
import { LanesUnsupported, type LaneCallee, type LaneInto } from '../transforms/lanes.ts';
import { reverseVector, reverseVectorInto } from '../transforms/reverse-vector.ts';
import { jacobianSweep, rowCopyFunction, type RowPart } from './jacobian-sweep.ts';
import { id } from './nodes.ts';
import { docComment } from './printer.ts';
import { expr, stmts, type } from './template.ts';
import type { CompiledFunction } from './module.ts';

const f = ts.factory;

/** The most outputs (lanes) a vector mode carries; beyond, the Jacobian takes one sweep per row or column. */
export const MAX_LANES = 8;

/** The output count of a function returning a tuple of numbers, or null. */
export function tupleOutputs(fn: IRFunction): number | null {
  const t = fn.returnType;
  if (fn.aux || t.kind !== 'tuple' || t.elems.length === 0 || !t.elems.every((e) => e.kind === 'number')) return null;
  return t.elems.length;
}

interface Variant {
  name: string;
  decl: ts.FunctionDeclaration | null;
}

/** The vector modes of one generated file. */
export class VectorModes {
  private readonly byName = new Map<string, { c: CompiledFunction; kind: 'jvp' | 'vjp' }>();
  private readonly variants = new Map<string, Variant | 'pending'>();
  private readonly intoVariants = new Map<string, (LaneInto & { made: boolean }) | 'pending'>();
  private readonly made: ts.FunctionDeclaration[] = [];
  /** private Jacobian sweep -> its JacobianScratch (see `scratchSweeps`) */
  private readonly sweeps = new Map<string, { scratch: string; k: number }>();
  /** the row copies of the private sweeps (jacobian-sweep.ts) */
  private readonly rowCopies: string[] = [];

  constructor(
    fns: readonly CompiledFunction[],
    private readonly names: ModuleNames,
  ) {
    for (const c of fns) {
      this.byName.set(c.jvp.name!.text, { c, kind: 'jvp' });
      this.byName.set(c.vjp.name!.text, { c, kind: 'vjp' });
    }
    for (const [exported, alias] of names.exportAliases()) {
      const known = this.byName.get(exported);
      if (known) this.byName.set(alias, known);
    }
  }

  /** The lane variants made so far (after the wrappers that use them). */
  declarations(): ts.FunctionDeclaration[] {
    return this.made;
  }

  /** The k-lane variant of the derivative called `name` (a jvp_ or valueAndVjp_ of this file), or undefined when it cannot be made. */
  variant(name: string, k: number): LaneCallee | undefined {
    const known = this.byName.get(name);
    if (!known) return undefined;
    const { c, kind } = known;
    const decl = kind === 'jvp' ? c.jvp : c.vjp;
    const key = `${decl.name!.text}:${k}`;
    const have = this.variants.get(key);
    if (have === 'pending') return undefined;
    const tangents = c.fn.params.filter((p) => p.wrt).length;
    if (have) return have.decl ? { name: have.name, kind, tangents } : undefined;
    const base = decl.name!.text.replace(/^(jvp|valueAndVjp)_/, '');
    // A function's own k (its output count) gets the exported name; other lane counts are module-local.
    const own = !c.specializationOf && tupleOutputs(c.fn) === k;
    const wanted = `${kind === 'jvp' ? 'jvps' : 'valueAndVjps'}${own ? '' : k}_${base}`;
    if (this.names.isModuleLevel(wanted) && !own) {
      this.variants.set(key, { name: wanted, decl: null });
      return undefined;
    }
    this.variants.set(key, 'pending');
    let made: ts.FunctionDeclaration | null = null;
    try {
      // A recursive function keeps its scalar derivatives (their recursion guard is theirs alone).
      if (mentionsName(decl, decl.name!.text)) throw new LanesUnsupported('recursive');
      const writers = argumentWriters(c);
      made = kind === 'jvp'
        ? forwardVector(decl, tangents, k, wanted, (n) => this.variant(n, k), writers)
        : reverseVector(decl, k, wanted, (n) => this.variant(n, k), writers, (n) => this.intoVariant(n, k));
      if (own) this.names.claimExport(wanted);
      else made = f.updateFunctionDeclaration(made, undefined, made.asteriskToken, made.name, made.typeParameters, made.parameters, made.type, made.body);
      this.made.push(made);
    } catch (e) {
      if (!(e instanceof LanesUnsupported)) throw e;
      made = null;
    }
    this.variants.set(key, { name: wanted, decl: made });
    return made ? { name: wanted, kind, tangents } : undefined;
  }

  /**
   * The module-local k-lane accumulate-into variant of the reverse derivative called `name`
   * (`valueAndVjpsInto2_g`, reverse-vector.ts) for calls inside lane code, or undefined when it
   * cannot be made (then the call takes `variant`).
   */
  private intoVariant(name: string, k: number): LaneInto | undefined {
    const known = this.byName.get(name);
    if (!known || known.kind !== 'vjp') return undefined;
    const decl = known.c.vjp;
    const key = `${decl.name!.text}:${k}`;
    const have = this.intoVariants.get(key);
    if (have === 'pending') return undefined;
    if (have) return have.made ? have : undefined;
    const wanted = `valueAndVjpsInto${k}_${decl.name!.text.replace(/^valueAndVjp_/, '')}`;
    if (this.names.isModuleLevel(wanted) || mentionsName(decl, decl.name!.text)) {
      this.intoVariants.set(key, { name: wanted, containers: 0, made: false });
      return undefined;
    }
    this.intoVariants.set(key, 'pending');
    let made: LaneInto & { made: boolean } = { name: wanted, containers: 0, made: false };
    try {
      const into = reverseVectorInto(decl, k, wanted, (n) => this.variant(n, k), argumentWriters(known.c), (n) => this.intoVariant(n, k));
      this.made.push(into.decl);
      made = { name: wanted, containers: into.containers, made: true };
    } catch (e) {
      if (!(e instanceof LanesUnsupported)) throw e;
    }
    this.intoVariants.set(key, made);
    return made.made ? made : undefined;
  }

  /**
   * The wrappers module.ts made for `c`, with `jacobian_f` replaced by one that uses the vector modes
   * when `c` returns a tuple of at most MAX_LANES numbers (other statements are kept as they are).
   */
  withVectorModes(c: CompiledFunction, wrappers: ts.Statement[]): ts.Statement[] {
    const jacobian = this.jacobian(c);
    if (!jacobian) return wrappers;
    const name = exportName(c.fn, 'jacobian');
    return wrappers.flatMap((s) => (ts.isFunctionDeclaration(s) && s.name?.text === name ? jacobian : [s]));
  }

  /** The private Jacobian sweeps made so far (jacobian-sweep.ts), each with the name of its module-level JacobianScratch. */
  scratchSweeps(): ReadonlyMap<string, string> {
    return new Map([...this.sweeps].map(([name, sweep]) => [name, sweep.scratch]));
  }

  /** The private Jacobian sweeps made so far, each with its lane count k (its cotangents are the k unit cotangents). */
  sweepLanes(): ReadonlyMap<string, number> {
    return new Map([...this.sweeps].map(([name, sweep]) => [name, sweep.k]));
  }

  /**
   * The functions made here that keep no reference to their array arguments (scratch-buffers.ts): the
   * accumulate-into lane variants (they add into their containers) and the row copies (they copy).
   */
  nonRetainingFunctions(): ReadonlySet<string> {
    const names = new Set<string>(this.rowCopies);
    for (const v of this.intoVariants.values()) if (v !== 'pending' && v.made) names.add(v.name);
    return names;
  }

  /** `jacobian_f` from the vector modes (after the declaration of its scratch, where it has a private sweep), or null. */
  private jacobian(c: CompiledFunction): ts.Statement[] | null {
    const { fn, ctx } = c;
    const k = tupleOutputs(fn);
    if (k === null || k > MAX_LANES || c.specializationOf) return null;
    const reverse = this.variant(c.vjp.name!.text, k);
    const forward = this.variant(c.jvp.name!.text, k);
    if (!reverse && !forward) return null;
    const wrt = fn.params.filter((p) => p.wrt);
    const wrtList = wrt.map((p) => p.name).join(', ');
    const call = (name: string, extra: ts.Expression[]) => f.createCallExpression(id(this.names.ownExport(name)), undefined, [...forwardedArgs(fn), ...extra]);

    const jn = ctx.module.forFunction(ctx.userNames);
    const [nIn, inputs, rows, row, j, t] = ['nIn', 'inputs', 'rows', 'row', 'j', 't'].map((n) => jn.fresh(n)) as [string, string, string, string, string, string];
    const count = wrt.map((p) => (p.type.kind === 'number' ? f.createNumericLiteral(1) : expr`countNumbers(${p.name})`)).reduce((a, b) => f.createBinaryExpression(a, ts.SyntaxKind.PlusToken, b));
    const unit = (i: number) => f.createArrayLiteralExpression(Array.from({ length: k }, (_, r) => f.createNumericLiteral(r === i ? 1 : 0)));
    const units = f.createArrayLiteralExpression(Array.from({ length: k }, (_, i) => unit(i)));
    const sweep = reverse ? this.scratchSweep(c, k) : null;
    const scratchUnits = sweep ? expr`${sweep.scratch}.units` : units;
    const byRows = reverse
      ? [
          ...(sweep ? this.scratchCall(sweep, call(sweep.name, [expr`${sweep.scratch}.units`])) : []),
          ...stmts`
            const [, ${rows}] = ${call(reverse.name, [scratchUnits])};
            return ${f.createArrayLiteralExpression(Array.from({ length: k }, (_, i) => expr`jacobianRow(${rows}[${i}])`))};`,
        ]
      : stmts`return jacobianByRows(${k}, ${f.createArrowFunction(undefined, undefined, [param(row)], undefined, undefined, expr`flatten(${call(exportName(fn, 'vjp'), [id(row)])})`)});`;
    const inputList = f.createAsExpression(f.createArrayLiteralExpression(wrt.map((p) => id(p.name))), f.createTypeReferenceNode('const'));
    const lanes = Array.from({ length: k }, (_, r) => jn.fresh(`unit${r}`));
    const byColumns = forward
      ? stmts`
          const ${inputs} = ${inputList};
          return jacobianByColumnChunks(${k}, ${nIn}, ${k}, ${f.createArrowFunction(undefined, undefined, [param(j)], undefined, undefined, f.createBlock([
            ...lanes.flatMap((l, r) => stmts`const ${l} = basisLike(${inputs}, ${r === 0 ? id(j) : expr`${j} + ${r}`});`),
            ...stmts`return ${call(forward.name, [f.createArrayLiteralExpression(lanes.map((l) => f.createArrayLiteralExpression(wrt.map((_, i) => expr`${l}[${i}]`))))])}[1];`,
          ], true))});`
      : stmts`
          const ${inputs} = ${inputList};
          return jacobianByColumns(${k}, ${nIn}, ${f.createArrowFunction(undefined, undefined, [param(j)], undefined, undefined, f.createBlock(stmts`
            const ${t} = basisLike(${inputs}, ${j});
            return Array.from(${call(c.jvp.name!.text, wrt.map((_, i) => expr`${t}[${i}]`))}[1]);`, true))});`;
    // With only number parameters the input count is known here, and so is the way.
    const staticCount = wrt.every((p) => p.type.kind === 'number') ? wrt.length : null;
    const body = staticCount === null
      ? stmts`
          const ${nIn} = ${count};
          if (${k} <= ${nIn}) { ${byRows}; }
          ${byColumns};`
      : staticCount >= k ? byRows : [...stmts`const ${nIn} = ${staticCount};`, ...byColumns];
    const rowsHow = reverse ? `one reverse sweep carrying the ${k} unit cotangents (valueAndVjps_${fn.name})` : 'one reverse sweep per output';
    const columnsHow = forward ? `one forward sweep carrying the unit directions (jvps_${fn.name})` : 'one forward sweep per input';
    const how = `${rowsHow} when there are at least ${k} input numbers, else ${columnsHow}`;
    const decl = f.createFunctionDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], undefined, exportName(fn, 'jacobian'), undefined, signatureParams(fn, ctx, true), type`number[][]`, f.createBlock(body, true));
    const scratchNote = sweep ? `\nThe rows come from ${sweep.name}, over module scratch; a call made while it runs (re-entry) takes ${reverse!.name}.` : '';
    const jacobian = docComment(decl, `The Jacobian of ${fn.name}: one row per output, one column per number of (${wrtList}), flattened in order.\nUses ${how}.${scratchNote}`);
    return sweep ? [this.scratchDeclaration(sweep, units), jacobian] : [jacobian];
  }

  /**
   * The private sweep of `jacobian_f` (jacobian-sweep.ts) made from its k-lane reverse sweep, with the
   * names of the sweep and of its module-level JacobianScratch, or null where it does not pay.
   */
  private scratchSweep(c: CompiledFunction, k: number): { name: string; scratch: string } | null {
    const made = this.variants.get(`${c.vjp.name!.text}:${k}`);
    if (!made || made === 'pending' || !made.decl) return null;
    const jacobian = exportName(c.fn, 'jacobian');
    const parts = c.fn.self ? null : rowParts(c.fn.params.filter((p) => p.wrt));
    const rowCopy = parts ? { name: this.names.moduleLevelName(`jacobianRowOf_${c.fn.name}`), parts } : null;
    const name = this.names.moduleLevelName(`jacobianSweep_${c.fn.name}`);
    const decl = jacobianSweep(made.decl, name, k, jacobian, rowCopy);
    if (!decl) return null;
    const scratch = this.names.moduleLevelName(`jacobianScratch_${c.fn.name}`);
    if (rowCopy) {
      this.made.push(rowCopyFunction(rowCopy, c.ctx.module.forFunction([]), jacobian));
      this.rowCopies.push(rowCopy.name);
    }
    this.made.push(decl);
    this.sweeps.set(name, { scratch, k });
    return { name, scratch };
  }

  /** `const jacobianScratch_f = new JacobianScratch(units);`: the scratch of one private sweep, and the unit cotangents. */
  private scratchDeclaration(sweep: { name: string; scratch: string }, units: ts.Expression): ts.Statement {
    const [s] = stmts`const ${sweep.scratch} = new JacobianScratch(${f.createAsExpression(units, f.createTypeReferenceNode('const'))});`;
    return docComment(s!, `The buffers ${sweep.name}'s sweep reuses from call to call, its busy flag, and the unit cotangents.`);
  }

  /** The private sweep's call, behind the scratch's busy flag (cleared however the sweep ends). */
  private scratchCall(sweep: { scratch: string }, sweepCall: ts.Expression): ts.Statement[] {
    return stmts`
      if (!${sweep.scratch}.busy) {
        ${sweep.scratch}.busy = true;
        try {
          return ${sweepCall};
        } finally {
          ${sweep.scratch}.busy = false;
        }
      }`;
  }
}

/** How a row copies each wrt parameter's gradient (jacobian-sweep.ts), or null when one is neither a number, a Float64Array nor a number[]. */
function rowParts(wrt: readonly Param[]): RowPart[] | null {
  const parts: RowPart[] = [];
  for (const p of wrt) {
    const t = p.type;
    const numbersOf = t.kind === 'array' && t.elem.kind === 'number' ? t.ctor : null;
    const kind = t.kind === 'number' ? 'number' : numbersOf === 'Float64Array' ? 'float64' : numbersOf === 'Array' ? 'numbers' : null;
    if (!kind) return null;
    parts.push({ name: p.name, kind });
  }
  return parts;
}

/**
 * The derivatives `c` calls that write into an argument: those of callees
 * filling an out parameter (their jvp and vjp write the filled array back).
 */
function argumentWriters(c: CompiledFunction): Set<string> {
  const names = new Set<string>();
  forEachStmt(c.fn.body, (s) => {
    if (s.kind !== 'assign' || s.expr.kind !== 'call' || s.expr.callee.outParam === undefined) return;
    names.add(c.ctx.callee(s.expr.callee, 'jvp'));
    names.add(c.ctx.callee(s.expr.callee, 'valueAndVjp'));
  });
  return names;
}

/** Does the body of `fn` mention `name` (a call of itself)? */
function mentionsName(fn: ts.FunctionDeclaration, name: string): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === name) found = true;
    else ts.forEachChild(n, walk);
  };
  if (fn.body) walk(fn.body);
  return found;
}
