/**
 * The compiler pipeline, as a named list of passes:
 *   discover -> lower -> verify -> activity -> recording -> forward/reverse emission -> module.
 * `compileFiles` runs it over source files and returns the generated text
 * with located diagnostics; it never writes files and never runs user code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Node, Project, ts } from 'ts-morph';
import type { SourceFile } from 'ts-morph';
import { analyzeActivity, type Activity } from './analysis/activity.ts';
import { reuseRepeatedLoads } from './analysis/cse-loads.ts';
import { analyzeRecording, type Recording } from './analysis/recording.ts';
import { gradPathFor } from './emit/header.ts';
import { lineSourceMap } from './emit/source-map.ts';
import { emitModule, UserImports, type CompiledFunction } from './emit/module.ts';
import { higherOrderExports, planSecondOrder, secondOrderWrappers, tagOrder, typedLocalTapes, type SecondOrderPlan } from './emit/higher-order.ts';
import { ModuleNames } from './emit/names.ts';
import { printNode } from './emit/printer.ts';
import { fusedGroupsReport, lastFusedGroups } from './emit/fuse.ts';
import { CompileError, diagnosticAt, fail, type Diagnostic } from './frontend/diagnostics.ts';
import { discover, type Annotated } from './frontend/discover.ts';
import { Lowerer } from './frontend/lower.ts';
import { classifyType, typeText } from './frontend/types.ts';
import { constantText, constantValue } from './frontend/constants.ts';
import type { Callee, IRFunction, Param } from './ir/ir.ts';
import { printFunction } from './ir/print.ts';
import { verify } from './ir/verify.ts';
import { forEachStmt } from './ir/walk.ts';
import { emitJvp } from './transforms/forward.ts';
import { emitVjp } from './transforms/reverse.ts';
import { emitCustom } from './transforms/custom.ts';
import { checkCheckpointedLoops } from './transforms/checkpoint.ts';
import { fuseLoops } from './transforms/fuse-loops.ts';
import { exportName, type EmitContext } from './transforms/common.ts';
import { typecheckOutputs } from './typecheck-outputs.ts';

export interface CompileOptions {
  /** tsconfig.json to resolve types and imports with; found next to the sources when omitted. */
  tsConfigFilePath?: string;
  /**
   * Type-check every generated file under strict before returning it (typecheck-outputs.ts):
   * a file that fails is left out of `files` and reported as a located error. The build,
   * watch mode and the plugins turn it on; tests that compile fixtures check them in bulk instead.
   */
  typecheck?: boolean;
}

export interface GeneratedFile {
  /** The user's source file. */
  sourcePath: string;
  /** Where its derivatives go (`model.ts` -> `model.grad.ts`). */
  outputPath: string;
  /** The full text of the generated file. */
  text: string;
  /** Names of the differentiable functions it holds derivatives of. */
  functions: string[];
  /**
   * The version 3 source map (JSON) from `text` to the source, line by line (emit/source-map.ts).
   * The build writes it beside the generated file and ends that file with its `//# sourceMappingURL=`.
   */
  map?: string;
}

export interface CompileResult {
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
}

/** Everything the compiler learned about one function, for `inspect` and tests. */
export interface FunctionArtifacts {
  ir: IRFunction;
  activity: Activity;
  recording: Recording;
  jvp: string;
  vjp: string;
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

export function createProject(paths: string[], options: CompileOptions = {}): Project {
  const tsConfigFilePath = options.tsConfigFilePath ?? findTsConfig(paths[0] ?? process.cwd());
  const project = tsConfigFilePath
    ? new Project({ tsConfigFilePath, skipAddingFilesFromTsConfig: true })
    : new Project({ compilerOptions: { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, noEmit: true } });
  for (const p of paths) {
    try {
      project.addSourceFileAtPath(p);
    } catch (e) {
      // A file the parser cannot take (too deeply nested) is reported by compileFiles; the others still build.
      if (!isStackOverflow(e)) throw e;
    }
  }
  try {
    project.resolveSourceFileDependencies();
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
  }
  return project;
}

function findTsConfig(start: string): string | undefined {
  let dir = path.resolve(fs.existsSync(start) && fs.statSync(start).isDirectory() ? start : path.dirname(start));
  for (;;) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function compileFiles(paths: string[], options: CompileOptions = {}): CompileResult {
  const abs = paths.map((p) => path.resolve(p));
  const project = createProject(abs, options);
  const result: CompileResult = { files: [], diagnostics: [] };
  for (const p of abs) {
    const sf = project.getSourceFile(p);
    if (!sf) {
      result.diagnostics.push({ file: p, line: 1, column: 1, message: 'the file is nested too deeply for the TypeScript parser (its stack overflowed)', hint: 'split deeply nested expressions or calls into smaller functions' });
      continue;
    }
    try {
      const r = compileSourceFile(sf);
      result.diagnostics.push(...r.diagnostics);
      if (r.file) result.files.push(r.file);
    } catch (e) {
      // One file's failure must not take the other files' builds down.
      const message = isStackOverflow(e) ? 'the file is nested too deeply for the compiler (its stack overflowed)' : `internal compiler error: ${(e as Error).message}`;
      result.diagnostics.push({ file: p, line: 1, column: 1, message, hint: isStackOverflow(e) ? 'split deeply nested expressions or calls into smaller functions' : 'please report this with the file that caused it' });
    }
  }
  if (options.typecheck) {
    const checked = typecheckOutputs(project, result.files);
    result.files = checked.passed;
    result.diagnostics.push(...checked.diagnostics);
  }
  return result;
}

/** Compiles source text held in memory (tests, the playground). */
export function compileSourceText(fileName: string, text: string): CompileResult {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { strict: true, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, noEmit: true },
  });
  const sf = project.createSourceFile(fileName, text);
  const r = compileSourceFile(sf);
  return { files: r.file ? [r.file] : [], diagnostics: r.diagnostics };
}

/** Syntax errors of a file, as located diagnostics. */
function syntaxDiagnostics(sf: SourceFile): Diagnostic[] {
  const program = sf.getProject().getProgram().compilerObject;
  const tsSf = program.getSourceFile(sf.getFilePath());
  if (!tsSf) return [];
  return program.getSyntacticDiagnostics(tsSf).map((d) => {
    const { line, character } = tsSf.getLineAndCharacterOfPosition(d.start ?? 0);
    return {
      file: sf.getFilePath(),
      line: line + 1,
      column: character + 1,
      message: `syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      hint: 'fix the syntax error; wengert builds only files that parse',
    };
  });
}

/** One function of a source file, analysed and ready to emit. */
type Planned =
  | { kind: 'derived'; a: Annotated; ir: IRFunction; lowerer: Lowerer; activity: Activity; recording: Recording; specializationOf?: string; secondOrder?: { of: IRFunction; plan: SecondOrderPlan } }
  | { kind: 'custom'; a: Annotated; ir: IRFunction; lowerer: Lowerer; user: { vjp?: string; jvp?: string; node: import('ts-morph').Node } };

export function compileSourceFile(sf: SourceFile): { file: GeneratedFile | null; diagnostics: Diagnostic[] } {
  const syntax = syntaxDiagnostics(sf);
  if (syntax.length) return { file: null, diagnostics: syntax };
  const { found, diagnostics, custom } = discover(sf);
  if (found.length === 0) return { file: null, diagnostics };
  const planned: Planned[] = [];
  for (const a of found) {
    guarded(a, diagnostics, () => {
      const userDerivatives = custom.get(a.name);
      if (userDerivatives) {
        // The user wrote the derivatives: the body is not differentiated.
        const lowerer = new Lowerer(a, sf);
        planned.push({ kind: 'custom', a, ir: lowerer.fn, lowerer, user: userDerivatives });
      } else {
        planned.push({ kind: 'derived', a, ...analyzeFunction(a, sf) });
      }
    });
  }
  if (diagnostics.some(isError)) return { file: null, diagnostics };
  // Same-file callees called with some of their wrt arguments constant get derivatives of their own.
  guarded(found[0]!, diagnostics, () => planned.push(...specializeCalls(planned, sf)));
  if (diagnostics.some(isError)) return { file: null, diagnostics };
  // `@differentiable order(2)`: the reverse code differentiated again (emit/higher-order.ts).
  planned.push(...planSecondOrders(planned, sf, diagnostics));
  if (diagnostics.some(isError)) return { file: null, diagnostics };
  const sourceSpec = sourceModuleSpecifier(sf);
  const names = moduleNames(planned.map((p) => p.ir));
  const user = new UserImports();
  const compiled: CompiledFunction[] = [];
  for (const p of planned) {
    guarded(p.a, diagnostics, () => {
      if (p.kind === 'derived' && p.secondOrder) {
        const { of, plan } = p.secondOrder;
        try {
          const ctx = emitContext(p.a, p.ir, p.lowerer, plan.sf, sourceSpec, names, user);
          const jvp = typedLocalTapes(emitJvp(p.ir, p.activity, p.recording, ctx), plan.tapes);
          compiled.push({ fn: p.ir, ctx, jvp, vjp: jvp, secondOrder: secondOrderWrappers(p.ir, of, ctx) });
        } finally {
          plan.dispose();
        }
        return;
      }
      const ctx = emitContext(p.a, p.ir, p.lowerer, sf, sourceSpec, names, user);
      if (p.kind === 'custom') {
        const local = (fnName: string | undefined) => (fnName ? names.imported(sourceSpec, fnName) : undefined);
        const vjp = local(p.user.vjp);
        const jvp = local(p.user.jvp);
        for (const [exported, l] of [[p.user.vjp, vjp], [p.user.jvp, jvp]] as const) if (exported && l) user.add('values', sourceSpec, exported, l);
        const primalName = p.ir.self ? '' : names.imported(sourceSpec, p.a.name);
        if (!p.ir.self) user.add('values', sourceSpec, p.a.name, primalName);
        const emitted = emitCustom(p.ir, { vjp, jvp, vjpSource: p.user.vjp, jvpSource: p.user.jvp, node: p.user.node }, ctx, primalName);
        compiled.push({ fn: p.ir, ctx, ...emitted });
      } else {
        compiled.push({ fn: p.ir, ctx, jvp: emitJvp(p.ir, p.activity, p.recording, ctx), vjp: emitVjp(p.ir, p.activity, p.recording, ctx), specializationOf: p.specializationOf });
      }
      if (p.ir.self) user.add('types', sourceSpec, p.ir.self.type, p.ir.self.type);
    });
  }
  if (diagnostics.some(isError)) return { file: null, diagnostics };
  const outputPath = gradPathFor(sf.getFilePath());
  const text = emitModule(sf.getBaseName(), compiled, names, user);
  const problems = checkEmitted(text, outputPath);
  if (problems.length) {
    // wengert's own output does not parse: an internal error, located at the first function.
    const at = found[0]!;
    diagnostics.push(diagnosticAt(at.annotation, `internal error: the generated ${path.basename(outputPath)} does not parse (${problems[0]}); please report this with the source of ${at.name}`, 'this is a wengert bug; the file was not written'));
    return { file: null, diagnostics };
  }
  return {
    file: {
      sourcePath: sf.getFilePath(),
      outputPath,
      text,
      functions: compiled.map((c) => c.fn.name),
      map: lineSourceMap(text, { generatedFile: path.basename(outputPath), sourceFile: sf.getBaseName(), sourceText: sf.getFullText() }),
    },
    diagnostics,
  };
}

/**
 * Derivatives specialised to the arguments a call site differentiates.
 * `dense(x, W, b)` with `x` a constant batch would make `valueAndVjp_dense`
 * compute a cotangent for `x` (a whole matmul) that the caller throws
 * away. For each same-file call whose active arguments are a strict subset
 * of the callee's wrt parameters, the callee is compiled again with that
 * wrt list under its own name (`dense_for_W_b`, module-local), and the call
 * uses it. Works through a worklist, so specialisations' own calls are
 * specialised too; each (callee, subset) is compiled once.
 */
function specializeCalls(planned: Planned[], sf: SourceFile): Planned[] {
  const byName = new Map<string, Extract<Planned, { kind: 'derived' }>>();
  for (const p of planned) if (p.kind === 'derived') byName.set(p.ir.name, p);
  const made = new Map<string, Extract<Planned, { kind: 'derived' }>>();
  const queue = planned.filter((p): p is Extract<Planned, { kind: 'derived' }> => p.kind === 'derived');
  while (queue.length) {
    const p = queue.shift()!;
    forEachStmt(p.ir.body, (s) => {
      if (s.kind !== 'assign' || s.expr.kind !== 'call' || s.expr.callee.gradModule !== null) return;
      const e = s.expr;
      const target = byName.get(e.callee.derivName);
      // An out-parameter helper's filled array is its result: its tangent is always carried, so it is not specialised.
      if (!target || target.ir.self || target.ir.outParam) return;
      const mask = e.args.map((arg, i) => e.callee.wrt[i]! && arg.kind === 'var' && p.activity.isActive(arg.name));
      if (!mask.some(Boolean) || mask.every((m, i) => m === e.callee.wrt[i])) return;
      const wrtNames = target.ir.params.filter((_, i) => mask[i]).map((q) => q.name);
      const name = `${target.ir.name}_for_${wrtNames.join('_')}`;
      let spec = made.get(name);
      if (!spec) {
        const analyzed = analyzeFunction({ ...target.a, wrt: wrtNames }, sf);
        analyzed.ir.name = name;
        spec = { kind: 'derived', a: target.a, ...analyzed, specializationOf: target.ir.name };
        made.set(name, spec);
        queue.push(spec);
      }
      e.callee = { ...e.callee, wrt: mask, derivName: name };
    });
  }
  return [...made.values()];
}

/** The second-order plans of the functions tagged `order(2)`, each with its virtual `grad_f` (emit/higher-order.ts). */
function planSecondOrders(planned: Planned[], sf: SourceFile, diagnostics: Diagnostic[]): Planned[] {
  const out: Planned[] = [];
  const hooks = {
    emitContext: (a: Annotated, fn: IRFunction, L: Lowerer, at: SourceFile, names: ModuleNames, user: UserImports) => emitContext(a, fn, L, at, sourceModuleSpecifier(sf), names, user),
    newUserImports: () => new UserImports(),
    analyze: analyzeFunction,
  };
  for (const p of planned) {
    if (p.kind !== 'derived' || p.specializationOf || tagOrder(p.a.annotation) < 2) continue;
    guarded(p.a, diagnostics, () => {
      const plan = planSecondOrder(p.a, p.ir, p.lowerer, p.activity, p.recording, sf, hooks);
      out.push({ kind: 'derived', a: plan.a, ir: plan.ir, lowerer: plan.lowerer, activity: plan.activity, recording: plan.recording, secondOrder: { of: p.ir, plan } });
    });
  }
  // Nothing is emitted when one of them failed: the virtual files leave the project now (watch and the editor reuse it).
  if (diagnostics.some(isError)) for (const p of out) if (p.kind === 'derived') p.secondOrder?.plan.dispose();
  return out;
}

function isError(d: Diagnostic): boolean {
  return (d as { severity?: string }).severity !== 'warning';
}

/** Runs one function's compilation, turning its failures into located diagnostics. */
function guarded(a: Annotated, diagnostics: Diagnostic[], work: () => void): void {
  try {
    work();
  } catch (e) {
    if (e instanceof CompileError) diagnostics.push(e.diagnostic);
    else if (isStackOverflow(e)) diagnostics.push(diagnosticAt(a.annotation, `${a.name} is nested too deeply for the compiler (its stack overflowed)`, 'split the long expression or the deep nesting into helper functions'));
    else diagnostics.push(diagnosticAt(a.annotation, `internal compiler error while differentiating ${a.name}: ${(e as Error).message}`, 'please report this with the function that caused it'));
  }
}

/** Syntax errors of generated text, as messages (empty when it parses). */
export function checkEmitted(text: string, fileName: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const errors = (sf as unknown as { parseDiagnostics: ts.DiagnosticWithLocation[] }).parseDiagnostics;
  return errors.map((d) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
    return `${path.basename(fileName)}:${line + 1}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/** The module-level naming authority of one generated file. */
function moduleNames(fns: IRFunction[]): ModuleNames {
  const declared = fns.flatMap((fn) => [...fn.locals.keys(), ...fn.params.map((p) => p.name), ...(fn.self ? [fn.self.name] : [])]);
  const exports = [...fns.flatMap((fn) => (['jvp', 'valueAndVjp', 'vjp', 'grad', 'valueAndGrad', 'jacobian'] as const).map((k) => exportName(fn, k))), ...higherOrderExports(fns)];
  return new ModuleNames(declared, exports);
}

/** Lowering, verification and analyses of one function. */
export function analyzeFunction(a: Annotated, sf: SourceFile): { ir: IRFunction; lowerer: Lowerer; activity: Activity; recording: Recording } {
  const node = a.node;
  if (node.isAsync()) throw new CompileError(diagnosticAt(a.annotation, `${a.name} is async`, 'differentiable functions must be synchronous'));
  if (!Node.isArrowFunction(node) && node.isGenerator()) {
    throw new CompileError(diagnosticAt(a.annotation, `${a.name} is a generator`, 'differentiable functions must return a number, not yield'));
  }
  const lowerer = new Lowerer(a, sf);
  const ir = lowerer.lowerBody();
  verify(ir);
  fuseLoops(ir);
  reuseRepeatedLoads(ir);
  const activity = analyzeActivity(ir);
  checkNonDifferentiableUses(ir, lowerer, activity);
  const recording = analyzeRecording(ir, activity);
  checkCheckpointedLoops(ir, recording, sf.getFilePath());
  return { ir, lowerer, activity, recording };
}

/**
 * Front end, lowering, verification, analyses and emission for one function,
 * printed as the build prints it (for `inspect` and tests).
 */
export function compileFunction(a: Annotated, sf: SourceFile): { artifacts: FunctionArtifacts; lowerer: Lowerer } {
  const { ir, lowerer, activity, recording } = analyzeFunction(a, sf);
  const names = moduleNames([ir]);
  const ctx = emitContext(a, ir, lowerer, sf, sourceModuleSpecifier(sf), names, new UserImports());
  const jvp = emitJvp(ir, activity, recording, ctx);
  const vjp = emitVjp(ir, activity, recording, ctx);
  return { artifacts: { ir, activity, recording, jvp: printNode(jvp), vjp: printNode(vjp) }, lowerer };
}

/** A plain function called with an argument that carries derivative would silently drop it: refuse. */
function checkNonDifferentiableUses(fn: IRFunction, L: Lowerer, act: Activity): void {
  const params = fn.params.filter((p) => p.wrt).map((p) => p.name).join(', ');
  for (const call of L.plainCalls) {
    const dep = call.deps.find((v) => act.varied.has(v));
    if (dep) {
      throw new CompileError(
        diagnosticAt(call.node, `${call.name} is not differentiable, but its argument depends on ${params}`, `mark ${call.name} @differentiable, or wrap the argument in stopGradient(...) if no derivative should flow through it`),
      );
    }
  }
  forEachStmt(fn.body, (s) => {
    if (s.kind !== 'assign' || s.expr.kind !== 'call') return;
    const e = s.expr;
    e.args.forEach((a, i) => {
      if (!e.callee.wrt[i] && a.kind === 'var' && act.isActive(a.name) && act.useful.has(s.target)) {
        throw new CompileError({
          file: L.sourceFile.getFilePath(),
          line: s.loc.line,
          column: s.loc.column,
          // A method call's first argument is the instance: the user counts from the one after it.
          message: `argument ${e.callee.method ? i : i + 1} of ${e.callee.name} depends on ${params}, but ${e.callee.name} does not differentiate that parameter`,
          hint: `add the parameter to ${e.callee.name}'s wrt(...) list`,
        });
      }
    });
  });
}

/** How the generated file imports the source module: './model.ts', './model.js' or './model'. */
function sourceModuleSpecifier(sf: SourceFile): string {
  const base = sf.getBaseNameWithoutExtension();
  const opts = sf.getProject().getCompilerOptions();
  const relative = sf.getImportDeclarations().map((d) => d.getModuleSpecifierValue()).filter((m) => m.startsWith('.'));
  if (relative.some((m) => m.endsWith('.ts'))) return `./${base}.ts`;
  if (relative.some((m) => m.endsWith('.js'))) return `./${base}.js`;
  if (opts.allowImportingTsExtensions || opts.rewriteRelativeImportExtensions) return `./${base}.ts`;
  const mr = opts.moduleResolution;
  if (mr === ts.ModuleResolutionKind.Node16 || mr === ts.ModuleResolutionKind.NodeNext) return `./${base}.js`;
  return `./${base}`;
}

/**
 * What the emitters need to know about one function's module: parameter
 * types as the user spelled them (importing the names they use), default
 * values, and the local names of everything the generated code calls.
 */
function emitContext(a: Annotated, fn: IRFunction, L: Lowerer, sf: SourceFile, sourceSpec: string, names: ModuleNames, user: UserImports): EmitContext {
  const returnTypeNode = a.node.getReturnTypeNode();
  const plainImports = new Map(L.imports.map((i) => [i.localName, i]));
  const userNames = [...fn.locals.keys(), ...fn.params.map((p) => p.name), ...(fn.self ? [fn.self.name] : [])];
  const ctx: EmitContext = {
    get returnType(): string {
      // A function that fills an array and returns nothing: its derivatives return the filled array.
      const filled = fn.outParam ? fn.params.find((p) => p.name === fn.outParam) : undefined;
      if (filled) return typeNodeText(a.node.getParameter(filled.name)?.getTypeNode(), filled.type);
      return returnTypeNode ? typeNodeText(returnTypeNode, classifyType(a.node.getReturnType())) : typeText(classifyType(a.node.getReturnType()));
    },
    paramType(p: Param): string {
      const decl = a.node.getParameter(p.name);
      return typeNodeText(decl?.getTypeNode(), p.type);
    },
    paramOptional(p: Param): boolean {
      return a.node.getParameter(p.name)?.hasQuestionToken() ?? false;
    },
    paramDefault(p: Param): string | undefined {
      const init = a.node.getParameter(p.name)?.getInitializer();
      if (!init) return undefined;
      if (!isConstantDefault(init)) {
        // A module constant or enum member (`k = DEFAULT_K`, `mode = Mode.Fast`): its value, as a literal.
        const value = constantValue(init);
        const text = value === null ? null : constantText(value);
        if (text !== null) return text;
        fail(init, `the default value of ${p.name} is not a constant`, `give ${p.name} a literal default (a number, string, boolean or an array of them), or pass the value explicitly`);
      }
      return init.getText();
    },
    module: names,
    userNames,
    callee(c: Callee, kind: 'primal' | 'jvp' | 'valueAndVjp'): string {
      if (kind === 'primal') {
        const module = c.module ?? sourceSpec;
        const local = names.imported(module, c.exportName, c.name);
        user.add('values', module, c.exportName, local);
        return local;
      }
      const exported = exportName(c, kind);
      if (c.gradModule === null) return names.ownExport(exported);
      const local = names.imported(c.gradModule, exported);
      user.add('values', c.gradModule, exported, local);
      return local;
    },
    plain(localName: string): string {
      const imp = plainImports.get(localName);
      if (!imp) throw new Error(`internal: no import for ${localName}`);
      const module = imp.module ?? sourceSpec;
      const local = names.imported(module, imp.exportName, imp.localName);
      user.add('values', module, imp.exportName, local);
      return local;
    },
  };
  return ctx;

  /** The user's spelling of a type, importing the names it uses, or the structural type when they cannot be imported. */
  function typeNodeText(typeNode: import('ts-morph').TypeNode | undefined, fallback: import('./ir/ir.ts').VarType): string {
    if (!typeNode) return typeText(fallback);
    const used = typeNode.getDescendantsOfKind(ts.SyntaxKind.TypeReference).map((r) => r.getTypeName().getText());
    if (Node.isTypeReference(typeNode)) used.push(typeNode.getTypeName().getText());
    const wanted: [string, string][] = [];
    for (const n of new Set(used)) {
      if (GLOBAL_TYPES.has(n)) continue;
      const where = typeHome(sf, n, sourceSpec);
      if (!where) return typeText(fallback);
      wanted.push([where, n]);
    }
    for (const [m, n] of wanted) user.add('types', m, n, n);
    return typeNode.getText();
  }
}

/** Literal defaults only (numbers, strings, booleans, arrays of them, `Math.PI`): the generated signatures repeat them. */
function isConstantDefault(e: import('ts-morph').Node): boolean {
  if (Node.isNumericLiteral(e) || Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e)) return true;
  const k = e.getKind();
  if (k === ts.SyntaxKind.TrueKeyword || k === ts.SyntaxKind.FalseKeyword) return true;
  if (Node.isPrefixUnaryExpression(e)) return isConstantDefault(e.getOperand());
  if (Node.isArrayLiteralExpression(e)) return e.getElements().every(isConstantDefault);
  if (Node.isPropertyAccessExpression(e)) return e.getExpression().getText() === 'Math' || e.getExpression().getText() === 'Number';
  return false;
}

const GLOBAL_TYPES = new Set(['Float64Array', 'Float32Array', 'Int32Array', 'Uint8Array', 'Array', 'ReadonlyArray', 'Readonly', 'Record']);

/** Where the generated file can import the type `name` from, or null. */
function typeHome(sf: SourceFile, name: string, sourceSpec: string): string | null {
  const local = sf.getInterface(name) ?? sf.getTypeAlias(name) ?? sf.getClass(name) ?? sf.getEnum(name);
  if (local) return local.isExported() ? sourceSpec : null;
  for (const imp of sf.getImportDeclarations()) {
    if (imp.getNamedImports().some((n) => (n.getAliasNode()?.getText() ?? n.getName()) === name)) return imp.getModuleSpecifierValue();
  }
  return null;
}

/**
 * `wengert inspect file.ts#f`: the Wengert list, then the generated code of
 * `f` exactly as the build writes it (custom derivatives included).
 */
export function inspectFunction(filePath: string, functionName: string): string {
  const abs = path.resolve(filePath);
  const project = createProject([abs]);
  const sf = project.getSourceFileOrThrow(abs);
  const { found, custom } = discover(sf);
  const a = found.find((f) => f.name === functionName || f.node.getSymbol()?.getName() === functionName);
  if (!a) {
    const names = found.map((f) => f.name).join(', ') || '(none)';
    throw new Error(`${filePath}: no @differentiable function named ${functionName} (found: ${names})`);
  }
  const { file, diagnostics } = compileSourceFile(sf);
  const errors = diagnostics.filter(isError);
  if (!file || errors.length) throw new CompileError(errors[0] ?? diagnosticAt(a.annotation, `${a.name} did not build`, 'run wengert build for the full list of errors'));
  const parts: string[] = [];
  if (custom.has(a.name)) {
    parts.push(`== ${a.name} has custom derivatives (${[custom.get(a.name)!.vjp, custom.get(a.name)!.jvp].filter(Boolean).join(', ')}): its body is not differentiated ==`);
  } else {
    const { ir, activity } = analyzeFunction(a, sf);
    parts.push(`== Wengert list of ${a.name} ==`, printFunction(ir, activity));
  }
  const groups = fusedGroupsReport(lastFusedGroups(), a.name);
  if (groups) parts.push('', `== fused groups of ${a.name} (one generated kernel each, alone or inside a matmul or a reduction) ==`, groups);
  parts.push('', `== generated code of ${a.name}, as written to ${path.basename(file.outputPath)} ==`, sectionOf(file.text, a.name));
  return parts.join('\n');
}

/** The part of a generated file that belongs to function `name` (from its `// ---- name (...) ----` line to the next). */
function sectionOf(text: string, name: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`// ---- ${name} (`));
  if (start < 0) return text;
  let end = lines.findIndex((l, i) => i > start && l.startsWith('// ---- '));
  if (end < 0) end = lines.length;
  return lines.slice(start, end).join('\n').trimEnd();
}
