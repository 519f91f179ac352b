/**
 * The build's checks of a source file, one function at a time, without
 * writing or assembling a generated file: for the editor (the TypeScript
 * language-service plugin, compiler/plugin/language-service.ts).
 *
 * Every error is produced by the build's own code, so it carries the
 * build's message, hint and location: `discover` for the file-level
 * messages (tags on the wrong thing, near-miss tags), `analyzeFunction`
 * (lowering, verification, activity, recording) for a derived function,
 * the `Lowerer` and `emitCustom`'s check for one with custom derivatives.
 * The emitters refuse one thing the analyses accept, a parameter default
 * that is not a constant, so a function with a parameter default also goes
 * through them (`compileFunction`); for the others the emitters, half the
 * cost of a check, are skipped. Differences from a build of the whole file:
 *   - the build stops before emitting anything once one function has an
 *     error; here every function is checked, so a default-value error
 *     shows beside another function's error;
 *   - an unexpected exception (an internal error, a stack overflow) is
 *     returned as `unexpected`: the caller then asks the build itself
 *     (`compileSourceFile`) for its messages.
 *
 * It also computes the warnings a build can afford to skip, from the
 * activity analysis: a differentiated parameter that never reaches the
 * result (its gradient is always zero), and a function whose result
 * depends on none of its differentiated parameters. */
import { Node, SyntaxKind } from 'ts-morph';
import type { SourceFile } from 'ts-morph';
import type { Activity } from '../analysis/activity.ts';
import type { IRFunction } from '../ir/ir.ts';
import { analyzeFunction, compileFunction } from '../pipeline.ts';
import { emitCustom } from '../transforms/custom.ts';
import type { EmitContext } from '../transforms/common.ts';
import { CompileError, diagnosticAt, type Diagnostic } from './diagnostics.ts';
import { discover, type Annotated, type CustomDerivatives } from './discover.ts';
import { Lowerer } from './lower.ts';

/** A warning of the editor's own, with the rule that made it. */
export interface ZeroGradientWarning extends Diagnostic {
  severity: 'warning';
  /** A differentiated parameter that never reaches the result, or a result that no differentiated parameter reaches. */
  rule: 'zero-gradient-parameter' | 'constant-result';
}

/** What a check of one differentiable function found. */
export interface FunctionCheck {
  /** The build's errors for this function (at most one: the build stops a function at its first error). */
  errors: Diagnostic[];
  /** Zero-gradient warnings (never reported by the build). */
  warnings: ZeroGradientWarning[];
  /** An exception that is not a located compile error; the build's own report of it should be used. */
  unexpected?: unknown;
}

/** The file-level part of a check: the differentiable functions and the messages not tied to one of them. */
export interface FileCheck {
  /** False when the file has syntax errors: the build then reports only those (and TypeScript shows them already). */
  parses: boolean;
  found: Annotated[];
  custom: CustomDerivatives;
  /** `discover`'s errors and warnings (near-miss tags among them). */
  diagnostics: Diagnostic[];
}

/** Syntax check and discovery of `sf`, as the build starts them. */
export function checkFile(sf: SourceFile): FileCheck {
  const program = sf.getProject().getProgram().compilerObject;
  const parsed = program.getSourceFile(sf.getFilePath());
  if (parsed && program.getSyntacticDiagnostics(parsed).length > 0) {
    return { parses: false, found: [], custom: new Map(), diagnostics: [] };
  }
  const { found, diagnostics, custom } = discover(sf);
  return { parses: true, found, custom, diagnostics };
}

/** The build's errors and the editor's warnings for one function found by `checkFile`. */
export function checkFunction(a: Annotated, sf: SourceFile, custom: CustomDerivatives): FunctionCheck {
  try {
    const user = custom.get(a.name);
    if (user) {
      checkCustom(a, sf, user);
      return { errors: [], warnings: [] };
    }
    // The emitters can refuse only a parameter default (a constant is repeated in the generated signatures).
    const emitted = a.node.getParameters().some((p) => p.hasInitializer());
    const { ir, activity } = emitted ? compileFunction(a, sf).artifacts : analyzeFunction(a, sf);
    return { errors: [], warnings: zeroGradientWarnings(a, ir, activity) };
  } catch (e) {
    if (e instanceof CompileError) return { errors: [e.diagnostic], warnings: [] };
    return { errors: [], warnings: [], unexpected: e };
  }
}

/** Thrown by the context `checkCustom` hands `emitCustom`: the checks before emission passed. */
const CHECKS_PASSED = Symbol('checks passed');

/**
 * A function with user-written derivatives: the build lowers its signature
 * (not its body), then `emitCustom` refuses a vector-valued function given
 * only one of the two modes. `emitCustom` makes that check before it reads
 * the emit context, so a context whose first read stops it runs exactly
 * the build's check and nothing more.
 */
function checkCustom(a: Annotated, sf: SourceFile, user: NonNullable<ReturnType<CustomDerivatives['get']>>): void {
  const lowerer = new Lowerer(a, sf);
  const stop = new Proxy({} as EmitContext, {
    get() {
      throw CHECKS_PASSED;
    },
  });
  try {
    emitCustom(lowerer.fn, { vjp: user.vjp, jvp: user.jvp, vjpSource: user.vjp, jvpSource: user.jvp, node: user.node }, stop, a.name);
  } catch (e) {
    if (e !== CHECKS_PASSED) throw e;
  }
}

/** The editor's own warnings: differentiated parameters whose gradient is always zero. */
export function zeroGradientWarnings(a: Annotated, fn: IRFunction, activity: Activity): ZeroGradientWarning[] {
  const differentiated = fn.params.filter((p) => p.wrt);
  const reaching = differentiated.filter((p) => activity.useful.has(p.name));
  if (reaching.length === 0) {
    const list = differentiated.map((p) => p.name).join(', ');
    const what = differentiated.length === 1 ? 'its differentiated parameter' : 'any of its differentiated parameters';
    const tag = Node.isDecorator(a.annotation) ? '@differentiable({ wrt: [...] })' : '@differentiable wrt(...)';
    const hint = `name the parameters the result depends on in ${tag}, or remove @differentiable`;
    const message = `the result of ${a.name} does not depend on ${what} (${list}): every gradient of ${a.name} is zero`;
    return [warning(diagnosticAt(functionNameNode(a), message, hint), 'constant-result')];
  }
  const keep = reaching.map((p) => p.name);
  const fix = a.wrt === null ? 'differentiate only the parameters that matter' : 'remove it from the wrt list';
  return differentiated
    .filter((p) => !activity.useful.has(p.name))
    .map((p) => {
      const at = a.node.getParameter(p.name)?.getNameNode() ?? a.annotation;
      const message = `parameter ${p.name} never affects the result of ${a.name}: its gradient is always zero`;
      return warning(diagnosticAt(at, message, `${fix}: ${wrtSpelling(a, keep)}`), 'zero-gradient-parameter');
    });
}

function warning(d: Diagnostic, rule: ZeroGradientWarning['rule']): ZeroGradientWarning {
  return { ...d, severity: 'warning', rule };
}

/** The name of the function (`f` in `function f`, `const f = () => ...`, `method()`). */
function functionNameNode(a: Annotated): Node {
  if (Node.isArrowFunction(a.node)) return a.node.getParentIfKind(SyntaxKind.VariableDeclaration)?.getNameNode() ?? a.annotation;
  return a.node.getNameNode() ?? a.annotation;
}

/** The tag that differentiates `names`, spelled as the function spells its tag (JSDoc or decorator). */
function wrtSpelling(a: Annotated, names: string[]): string {
  if (Node.isDecorator(a.annotation)) return `@differentiable({ wrt: [${names.map((n) => `'${n}'`).join(', ')}] })`;
  return `@differentiable wrt(${names.join(', ')})`;
}
