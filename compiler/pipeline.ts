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
import { analyzeRecording, type Recording } from './analysis/recording.ts';
import { gradPathFor } from './emit/header.ts';
import { addImport, emitModule, emptyImports, wrappers, type CompiledFunction, type ModuleImports } from './emit/module.ts';
import { CompileError, diagnosticAt, type Diagnostic } from './frontend/diagnostics.ts';
import { discover, type Annotated } from './frontend/discover.ts';
import { Lowerer } from './frontend/lower.ts';
import { classifyType, typeText } from './frontend/types.ts';
import type { IRFunction, Param } from './ir/ir.ts';
import { printFunction } from './ir/print.ts';
import { verify } from './ir/verify.ts';
import { tensorRules, tensorRuntimeNames } from './rules/tensor.ts';
import { forEachStmt } from './ir/walk.ts';
import { emitJvp } from './transforms/forward.ts';
import { emitVjp } from './transforms/reverse.ts';
import { emitCustom } from './transforms/custom.ts';
import type { EmitContext } from './transforms/common.ts';

export interface CompileOptions {
  /** tsconfig.json to resolve types and imports with; found next to the sources when omitted. */
  tsConfigFilePath?: string;
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

export function compileSourceFile(sf: SourceFile): { file: GeneratedFile | null; diagnostics: Diagnostic[] } {
  const syntax = syntaxDiagnostics(sf);
  if (syntax.length) return { file: null, diagnostics: syntax };
  const { found, diagnostics, custom } = discover(sf);
  if (found.length === 0) return { file: null, diagnostics };
  const imports = emptyImports();
  const compiled: CompiledFunction[] = [];
  const sourceSpec = sourceModuleSpecifier(sf);
  for (const a of found) {
    try {
      const userDerivatives = custom.get(a.name);
      if (userDerivatives) {
        // The user wrote the derivatives: the body is not differentiated.
        const fn = new Lowerer(a, sf).fn;
        const ctx = emitContext(a, sf, sourceSpec, imports);
        const { jvp, vjp } = emitCustom(fn, userDerivatives, ctx);
        const code = jvp + vjp + wrappers(fn, ctx);
        for (const name of [userDerivatives.vjp, userDerivatives.jvp, fn.selfType ? null : a.name]) if (name) addImport(imports, 'values', sourceSpec, name);
        for (const helper of ['dotAll', 'pullbackFromJvp']) if (code.includes(`${helper}(`)) addImport(imports, 'values', 'wengert', helper);
        if (fn.selfType) addImport(imports, 'types', sourceSpec, fn.selfType);
        compiled.push({ fn, ctx, jvp, vjp });
        continue;
      }
      const { artifacts, lowerer, ctx } = compileFunction(a, sf, imports);
      const { jvp, vjp } = artifacts;
      collectImports(artifacts.ir, lowerer, jvp + vjp + wrappers(artifacts.ir, ctx), sourceSpec, imports);
      compiled.push({ fn: artifacts.ir, ctx, jvp, vjp });
    } catch (e) {
      if (e instanceof CompileError) diagnostics.push(e.diagnostic);
      else if (isStackOverflow(e)) diagnostics.push(diagnosticAt(a.annotation, `${a.name} is nested too deeply for the compiler (its stack overflowed)`, 'split the long expression or the deep nesting into helper functions'));
      else diagnostics.push(diagnosticAt(a.annotation, `internal compiler error while differentiating ${a.name}: ${(e as Error).message}`, 'please report this with the function that caused it'));
    }
  }
  if (diagnostics.some((d) => d.severity !== 'warning')) return { file: null, diagnostics };
  renameClashingRuntimeImports(compiled, imports);
  const text = emitModule(sf.getBaseName(), compiled, imports);
  return {
    file: { sourcePath: sf.getFilePath(), outputPath: gradPathFor(sf.getFilePath()), text, functions: compiled.map((c) => c.fn.name) },
    diagnostics,
  };
}

/**
 * Front end, lowering, verification, analyses and emission for one function;
 * the names its generated code needs are added to `imports`.
 */
export function compileFunction(
  a: Annotated,
  sf: SourceFile,
  imports: ModuleImports = emptyImports(),
): { artifacts: FunctionArtifacts; lowerer: Lowerer; ctx: EmitContext } {
  const node = a.node;
  if (node.isAsync()) throw new CompileError(diagnosticAt(a.annotation, `${a.name} is async`, 'differentiable functions must be synchronous'));
  if (!Node.isArrowFunction(node) && node.isGenerator()) {
    throw new CompileError(diagnosticAt(a.annotation, `${a.name} is a generator`, 'differentiable functions must return a number, not yield'));
  }
  const lowerer = new Lowerer(a, sf);
  const ir = lowerer.lowerBody();
  verify(ir);
  const activity = analyzeActivity(ir);
  checkNonDifferentiableUses(ir, lowerer, activity);
  const recording = analyzeRecording(ir, activity);
  const ctx = emitContext(a, sf, sourceModuleSpecifier(sf), imports);
  return {
    artifacts: { ir, activity, recording, jvp: emitJvp(ir, activity, recording, ctx), vjp: emitVjp(ir, activity, recording, ctx) },
    lowerer,
    ctx,
  };
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
          message: `argument ${i + 1} of ${e.callee.name} depends on ${params}, but ${e.callee.name} does not differentiate that parameter`,
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

/** Parameter types in generated signatures: the user's own type text, importing the names it uses. */
function emitContext(a: Annotated, sf: SourceFile, sourceSpec: string, imports: ModuleImports): EmitContext {
  const returnTypeNode = a.node.getReturnTypeNode();
  return {
    get returnType(): string {
      return returnTypeNode ? typeNodeText(returnTypeNode, classifyType(a.node.getReturnType())) : typeText(classifyType(a.node.getReturnType()));
    },
    paramType(p: Param): string {
      const decl = a.node.getParameter(p.name);
      return typeNodeText(decl?.getTypeNode(), p.type);
    },
  };

  /** The user's spelling of a type, importing the names it uses, or the structural type when they cannot be imported. */
  function typeNodeText(typeNode: import('ts-morph').TypeNode | undefined, fallback: import('./ir/ir.ts').VarType): string {
      if (!typeNode) return typeText(fallback);
      const names = typeNode.getDescendantsOfKind(ts.SyntaxKind.TypeReference).map((r) => r.getTypeName().getText());
      if (Node.isTypeReference(typeNode)) names.push(typeNode.getTypeName().getText());
      const wanted: [string, string][] = [];
      for (const n of new Set(names)) {
        if (GLOBAL_TYPES.has(n)) continue;
        const where = typeHome(sf, n, sourceSpec);
        if (!where) return typeText(fallback);
        wanted.push([where, n]);
      }
      for (const [m, n] of wanted) addImport(imports, 'types', m, n);
      return typeNode.getText();
  }
}

const GLOBAL_TYPES = new Set(['Float64Array', 'Float32Array', 'Int32Array', 'Uint8Array', 'Array', 'ReadonlyArray', 'Readonly', 'Record']);

/** Where the generated file can import the type `name` from, or null. */
function typeHome(sf: SourceFile, name: string, sourceSpec: string): string | null {
  const local = sf.getInterface(name) ?? sf.getTypeAlias(name) ?? sf.getClass(name);
  if (local) return local.isExported() ? sourceSpec : null;
  for (const imp of sf.getImportDeclarations()) {
    if (imp.getNamedImports().some((n) => (n.getAliasNode()?.getText() ?? n.getName()) === name)) return imp.getModuleSpecifierValue();
  }
  return null;
}


function collectImports(fn: IRFunction, L: Lowerer, code: string, sourceSpec: string, imports: ModuleImports): void {
  if (code.includes('tape.')) addImport(imports, 'values', 'wengert', 'tape');
  if (code.includes('zerosLike(')) addImport(imports, 'values', 'wengert', 'zerosLike');
  let usesTensors = false;
  forEachStmt(fn.body, (s) => {
    if (s.kind === 'assign' && s.expr.kind === 'tensorOp') usesTensors = true;
  });
  const taken = new Set(L.imports.filter((i) => i.module !== 'wengert').map((i) => i.localName));
  for (const helper of usesTensors ? [...RUNTIME_HELPERS, ...TENSOR_HELPERS] : RUNTIME_HELPERS) {
    if (taken.has(helper)) continue;
    if (new RegExp(`(?<![\\w.$])${helper}\\(`).test(code)) addImport(imports, 'values', 'wengert', helper);
  }
  if (/: Tensor\b|<Tensor>/.test(code)) addImport(imports, 'types', 'wengert', 'Tensor');
  if (fn.selfType) addImport(imports, 'types', sourceSpec, fn.selfType);
  for (const imp of L.imports) {
    const module = imp.module ?? sourceSpec;
    addImport(imports, 'values', module, imp.exportName === imp.localName ? imp.localName : `${imp.exportName} as ${imp.localName}`);
  }
  forEachStmt(fn.body, (s) => {
    if (s.kind !== 'assign' || s.expr.kind !== 'call') return;
    const c = s.expr.callee;
    if (c.gradModule) {
      addImport(imports, 'values', c.gradModule, `jvp_${c.exportName}`);
      addImport(imports, 'values', c.gradModule, `valueAndVjp_${c.exportName}`);
    }
  });
}

/**
 * A user variable named like a runtime import (`tape`, `zerosLike`, ...)
 * would shadow it inside the generated functions: import the runtime one
 * under another name (`tape as wengertTape`) and use that.
 */
function renameClashingRuntimeImports(compiled: CompiledFunction[], imports: ModuleImports): void {
  const userNames = new Set(compiled.flatMap((c) => [...c.fn.locals.keys(), ...c.fn.params.map((p) => p.name)]));
  const runtime = imports.values.get('wengert');
  if (!runtime) return;
  for (const name of [...runtime]) {
    if (!userNames.has(name)) continue;
    const alias = `wengert${name[0]!.toUpperCase()}${name.slice(1)}`;
    runtime.delete(name);
    runtime.add(`${name} as ${alias}`);
    const use = name === 'tape' ? new RegExp(`(?<![\\w.$])tape\\.(?=values|control|refs)`, 'g') : new RegExp(`(?<![\\w.$])${name}(?=\\()`, 'g');
    for (const c of compiled) {
      c.jvp = c.jvp.replace(use, name === 'tape' ? `${alias}.` : alias);
      c.vjp = c.vjp.replace(use, name === 'tape' ? `${alias}.` : alias);
      c.wrappers = (c.wrappers ?? wrappers(c.fn, c.ctx)).replace(use, name === 'tape' ? `${alias}.` : alias);
    }
  }
}

/** Runtime functions generated code may call (imported from 'wengert' when the code mentions them). */
const RUNTIME_HELPERS = ['addInto', 'addArrayInto', 'jacobianByRows', 'jacobianByColumns', 'basisLike', 'countNumbers', 'flatten', 'zerosLike'];
/** ... and those the tensor rules' templates call. */
const TENSOR_HELPERS = ['asTensor', 'addTensor', ...tensorRuntimeNames, ...Object.keys(tensorRules)];

/** `wengert inspect file.ts#f`: the Wengert list, the forward-mode code and the reverse-mode code. */
export function inspectFunction(filePath: string, functionName: string): string {
  const abs = path.resolve(filePath);
  const project = createProject([abs]);
  const sf = project.getSourceFileOrThrow(abs);
  const { found, diagnostics } = discover(sf);
  const a = found.find((f) => f.name === functionName || f.node.getSymbol()?.getName() === functionName);
  if (!a) {
    const names = found.map((f) => f.name).join(', ') || '(none)';
    throw new Error(`${filePath}: no @differentiable function named ${functionName} (found: ${names})${diagnostics.length ? '' : ''}`);
  }
  const { artifacts } = compileFunction(a, sf);
  return [
    `== Wengert list of ${a.name} ==`,
    printFunction(artifacts.ir, artifacts.activity),
    '',
    '== forward mode ==',
    artifacts.jvp,
    '',
    '== reverse mode ==',
    artifacts.vjp,
  ].join('\n');
}
