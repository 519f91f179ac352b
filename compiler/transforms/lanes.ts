/**
 * Lanes: k copies of a derivative computation run side by side in one
 * generated function (Tapenade's multi-directional mode). It rewrites an
 * emitted `jvp_f` or `valueAndVjp_f` tree so that every derivative variable
 * becomes k locals (`dt3` -> `dt3_0`, `dt3_1`, ...): the primal code, the
 * tape and the control flow run once, and each statement that computes a
 * derivative is repeated once per lane.
 *
 * Which variables are derivatives is found from the tree itself: the lane
 * sources (the tangent parameters of a jvp, the cotangent of a vjp) and
 * everything computed from them (a name assigned from an expression that
 * mentions one, an array written with one, the first argument of
 * `addInto(a, b)` given one, the result of a derivative call given one),
 * and any variable stored into one of those by reference (an object
 * pushed into a derivative array is shared with it).
 *
 * The rewrite is conservative: a statement that both computes a derivative
 * and touches the tape, calls something that is not a known runtime helper
 * or generated derivative, or writes a primal variable, and a loop whose
 * condition reads a derivative, make it give up (`LanesUnsupported`); the
 * callers then keep the one-sweep-per-direction code. A call of a
 * derivative of the same file whose result feeds a lane becomes one call
 * of that function's own k-lane variant where the caller provides one.
 */
import { ts } from 'ts-morph';
import { runtimeRefOf } from '../emit/template.ts';

const f = ts.factory;
const K = ts.SyntaxKind;

/** The rewrite met something it does not duplicate safely. */
export class LanesUnsupported extends Error {}

/** A k-lane variant of a generated derivative of this file, for calls inside lanes. */
export interface LaneCallee {
  /** The variant's name. */
  name: string;
  kind: 'jvp' | 'vjp';
  /** jvp: how many trailing arguments are tangents (vjp: the last argument is the cotangent). */
  tangents: number;
}

export interface LaneOptions {
  k: number;
  /** Parameters whose values differ per lane (tangent parameters, the cotangent). */
  sources: readonly string[];
  /** The k-lane variant of the derivative called `name`, when one exists. */
  callee?: (name: string) => LaneCallee | undefined;
  /** Derivatives that write into an argument (of a function filling an out parameter): never called once per lane. */
  writesArguments?: ReadonlySet<string>;
  /** The k-lane accumulate-into variant of the reverse derivative called `name` (reverse-vector.ts), when one exists. */
  into?: (name: string) => LaneInto | undefined;
}

/**
 * A k-lane reverse derivative that adds into its caller's gradient containers
 * (`valueAndVjpsInto2_g(...args, dy_0, dy_1, dA_0, dB_0, dA_1, dB_1)` returns g's value): no
 * containers of its own, no result tuple, no `addInto` after the call.
 */
export interface LaneInto {
  name: string;
  /** How many containers each lane passes: one per array parameter of g, in order. */
  containers: number;
}

/** Runtime helpers that accumulate their second (and later) arguments into the first. */
const ACCUMULATE_INTO = new Set(['addInto', 'addArrayInto', 'addTensorsInto', 'addCotangentInto']);
/** Methods lane code may call on its arrays. */
const ARRAY_METHODS = new Set(['fill', 'push', 'pop', 'shift', 'unshift', 'slice', 'set']);
/** Constructors whose `from` copies an array. */
const COPY_CTORS = new Set(['Array', 'Float64Array', 'Float32Array']);
/** Runtime references lane code must not touch: the tape. */
const TAPE_REFS = new Set(['tape', 'tapeMark', 'recursionFailed']);
const DERIVATIVE_CALL = /^(jvp|valueAndVjp|vjp|jvps|valueAndVjps)_/;

/** The identifiers of an expression in value position (not property names, not types). */
function forEachValueIdentifier(node: ts.Node, visit: (id: ts.Identifier) => void): void {
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      visit(n);
      return;
    }
    if (ts.isTypeNode(n)) return;
    if (ts.isPropertyAccessExpression(n)) {
      walk(n.expression);
      return;
    }
    if (ts.isPropertyAssignment(n)) {
      if (ts.isComputedPropertyName(n.name)) walk(n.name.expression);
      walk(n.initializer);
      return;
    }
    if (ts.isVariableDeclaration(n) || ts.isParameter(n)) {
      walk(n.name);
      if (n.initializer) walk(n.initializer);
      return;
    }
    if (ts.isBindingElement(n)) {
      if (n.propertyName && ts.isComputedPropertyName(n.propertyName)) walk(n.propertyName.expression);
      walk(n.name);
      if (n.initializer) walk(n.initializer);
      return;
    }
    if (ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isTypeAssertionExpression(n)) {
      walk(n.expression);
      return;
    }
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      walk(n.expression);
      for (const a of n.arguments ?? []) walk(a);
      return;
    }
    ts.forEachChild(n, walk);
  };
  walk(node);
}

function mentionsAny(node: ts.Node, names: ReadonlySet<string>): boolean {
  let found = false;
  forEachValueIdentifier(node, (id) => {
    if (names.has(id.text)) found = true;
  });
  return found;
}

/** `a`, `a[i]`, `a[i][j]`, `a.f`, `a!`: the variable written through. */
function baseOf(e: ts.Expression): ts.Identifier | null {
  let x: ts.Expression = e;
  for (;;) {
    if (ts.isIdentifier(x)) return x;
    if (ts.isElementAccessExpression(x) || ts.isPropertyAccessExpression(x) || ts.isNonNullExpression(x) || ts.isParenthesizedExpression(x)) x = x.expression;
    else if (ts.isAsExpression(x)) x = x.expression;
    else return null;
  }
}

function isAssignmentOperator(kind: ts.SyntaxKind): boolean {
  return kind >= K.FirstAssignment && kind <= K.LastAssignment;
}

/** `x`, `(x)`, `x!`, `x as T`: the variable itself, or null for any other expression. */
function bareIdentifier(e: ts.Expression): ts.Identifier | null {
  let x: ts.Expression = e;
  while (ts.isParenthesizedExpression(x) || ts.isNonNullExpression(x) || ts.isAsExpression(x)) x = x.expression;
  return ts.isIdentifier(x) ? x : null;
}

/** The name a call goes to: `f(...)` -> f, or null for methods and others. */
function calleeName(call: ts.CallExpression): string | null {
  return ts.isIdentifier(call.expression) ? call.expression.text : null;
}

function bindingNames(n: ts.BindingName | ts.Expression, into: string[]): void {
  if (ts.isIdentifier(n)) into.push(n.text);
  else if (ts.isArrayBindingPattern(n) || ts.isObjectBindingPattern(n)) {
    for (const e of n.elements) if (!ts.isOmittedExpression(e)) bindingNames(e.name, into);
  } else if (ts.isArrayLiteralExpression(n)) {
    for (const e of n.elements) bindingNames(e, into);
  }
}

/** The elements of `[a, b]` (a pattern or a destructuring target) and the derivative call it takes apart, when it is one. */
function derivativeDestructuring(s: ts.Statement): { elements: readonly (ts.BindingElement | ts.OmittedExpression | ts.Expression)[]; call: ts.CallExpression; declaration: boolean } | null {
  if (ts.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
    const d = s.declarationList.declarations[0]!;
    if (ts.isArrayBindingPattern(d.name) && d.initializer && ts.isCallExpression(d.initializer)) {
      const name = calleeName(d.initializer);
      if (name && DERIVATIVE_CALL.test(name)) return { elements: d.name.elements, call: d.initializer, declaration: true };
    }
  }
  if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression) && s.expression.operatorToken.kind === K.EqualsToken) {
    const { left, right } = s.expression;
    if (ts.isArrayLiteralExpression(left) && ts.isCallExpression(right)) {
      const name = calleeName(right);
      if (name && DERIVATIVE_CALL.test(name)) return { elements: left.elements, call: right, declaration: false };
    }
  }
  return null;
}

/** The derivative variables of a body: the sources and everything computed from them (a fixed point). */
function laneVariables(body: readonly ts.Statement[], sources: readonly string[]): Set<string> {
  const lanes = new Set(sources);
  const add = (name: string | undefined): boolean => {
    if (name === undefined || lanes.has(name)) return false;
    lanes.add(name);
    return true;
  };
  let changed = true;
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && n.initializer && mentionsAny(n.initializer, lanes)) {
      const names: string[] = [];
      if (ts.isArrayBindingPattern(n.name) && ts.isCallExpression(n.initializer) && DERIVATIVE_CALL.test(calleeName(n.initializer) ?? '')) {
        // [value, derivative] = jvp_g(...) / valueAndVjp_g(...): only the derivative differs per lane.
        n.name.elements.slice(1).forEach((e) => !ts.isOmittedExpression(e) && bindingNames(e.name, names));
      } else bindingNames(n.name, names);
      for (const x of names) if (add(x)) changed = true;
    }
    // An object put into a derivative container by reference (`dp1.push(dt7)`, `dxs[i] = drow`, `dx = dsaved`) is
    // shared with it, so it is a derivative too: each lane needs its own.
    const byReference = (e: ts.Expression): void => {
      const x = bareIdentifier(e);
      if (x && add(x.text)) changed = true;
    };
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === K.EqualsToken && !ts.isArrayLiteralExpression(n.left)) {
      const base = baseOf(n.left);
      if (base && lanes.has(base.text)) byReference(n.right);
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ARRAY_METHODS.has(n.expression.name.text)) {
      const base = baseOf(n.expression.expression);
      if (base && lanes.has(base.text)) n.arguments.forEach(byReference);
    }
    if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind) && mentionsAny(n.right, lanes)) {
      if (ts.isArrayLiteralExpression(n.left)) {
        const names: string[] = [];
        const derivative = ts.isCallExpression(n.right) && DERIVATIVE_CALL.test(calleeName(n.right) ?? '');
        (derivative ? n.left.elements.slice(1) : n.left.elements).forEach((e) => bindingNames(e, names));
        for (const x of names) if (add(x)) changed = true;
      } else if (add(baseOf(n.left)?.text)) changed = true;
    }
    if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      const first = n.arguments[0];
      if (name && ACCUMULATE_INTO.has(name) && first && n.arguments.slice(1).some((a) => mentionsAny(a, lanes))) {
        if (add(baseOf(first)?.text)) changed = true;
      }
      if (ts.isPropertyAccessExpression(n.expression) && ARRAY_METHODS.has(n.expression.name.text) && n.arguments.some((a) => mentionsAny(a, lanes))) {
        if (add(baseOf(n.expression.expression)?.text)) changed = true;
      }
    }
    ts.forEachChild(n, visit);
  };
  while (changed) {
    changed = false;
    for (const s of body) visit(s);
  }
  return lanes;
}

/** Every identifier text in a tree (for fresh names). */
export function identifiersOf(node: ts.Node, into = new Set<string>()): Set<string> {
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) into.add(n.text);
    ts.forEachChild(n, walk);
  };
  walk(node);
  return into;
}

/** A name not in `taken` starting with `base`; it is added to `taken`. */
export function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  taken.add(name);
  return name;
}

/** The lane rewrite of one function body. */
export class Lanes {
  readonly lanes: Set<string>;
  private readonly suffix: string;
  private readonly tapeHandles = new Set<string>();

  constructor(
    body: readonly ts.Statement[],
    private readonly options: LaneOptions,
    taken: Set<string>,
  ) {
    this.lanes = laneVariables(body, options.sources);
    // `x_0`, `x_1`, ... unless one of those is a name already; then `x_l0`, `x_ll0`, ...
    let suffix = '_';
    const clash = () => [...this.lanes].some((v) => Array.from({ length: options.k }, (_, r) => `${v}${suffix}${r}`).some((n) => taken.has(n)));
    while (clash()) suffix += 'l';
    this.suffix = suffix;
    for (const v of this.lanes) for (let r = 0; r < options.k; r++) taken.add(this.name(v, r));
    const findHandles = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isPropertyAccessExpression(n.initializer)) {
        const base = n.initializer.expression;
        if (ts.isIdentifier(base) && runtimeRefOf(base) === 'tape') this.tapeHandles.add(n.name.text);
      }
      ts.forEachChild(n, findHandles);
    };
    for (const s of body) findHandles(s);
  }

  /** The lane-r name of the derivative variable `v`. */
  name(v: string, r: number): string {
    return `${v}${this.suffix}${r}`;
  }

  mentions(node: ts.Node): boolean {
    return mentionsAny(node, this.lanes);
  }

  /** `node` with every derivative variable renamed to its lane-r copy. */
  rename<T extends ts.Node>(node: T, r: number): T {
    const visit = (n: ts.Node): ts.Node => {
      if (ts.isIdentifier(n)) return this.lanes.has(n.text) ? f.createIdentifier(this.name(n.text, r)) : n;
      if (ts.isTypeNode(n)) return n;
      if (ts.isPropertyAccessExpression(n)) return f.updatePropertyAccessExpression(n, visit(n.expression) as ts.Expression, n.name);
      if (ts.isPropertyAssignment(n)) return f.updatePropertyAssignment(n, ts.isComputedPropertyName(n.name) ? (visit(n.name) as ts.PropertyName) : n.name, visit(n.initializer) as ts.Expression);
      if (ts.isShorthandPropertyAssignment(n) && this.lanes.has(n.name.text)) return f.createPropertyAssignment(n.name.text, f.createIdentifier(this.name(n.name.text, r)));
      if (ts.isBindingElement(n) && n.propertyName && ts.isIdentifier(n.propertyName)) {
        return f.updateBindingElement(n, n.dotDotDotToken, n.propertyName, visit(n.name) as ts.BindingName, n.initializer && (visit(n.initializer) as ts.Expression));
      }
      return ts.visitEachChild(n, visit, nullContext);
    };
    return visit(node) as T;
  }

  /** Throws unless the statement, repeated once per lane, computes the same as running it once per lane. */
  private checkRepeatable(s: ts.Node): void {
    const fail = (what: string): never => {
      throw new LanesUnsupported(`${what}: ${ts.createPrinter().printNode(ts.EmitHint.Unspecified, s, ts.createSourceFile('x.ts', '', ts.ScriptTarget.ES2022))}`);
    };
    const walk = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        if (this.tapeHandles.has(n.text) || TAPE_REFS.has(runtimeRefOf(n) ?? '')) fail('derivative code that uses the tape');
        return;
      }
      if (ts.isFunctionLike(n) || ts.isClassLike(n)) fail('a function inside derivative code');
      if (ts.isReturnStatement(n) || ts.isBreakOrContinueStatement(n) || ts.isThrowStatement(n)) fail('a jump inside derivative code');
      if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind)) {
        const targets: string[] = [];
        if (ts.isArrayLiteralExpression(n.left)) bindingNames(n.left, targets);
        else {
          const base = baseOf(n.left);
          if (!base) fail('a write through an expression');
          targets.push(base!.text);
        }
        if (targets.some((t) => !this.lanes.has(t))) fail('derivative code that writes a primal variable');
      }
      if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken)) {
        const base = baseOf(n.operand);
        if (!base || !this.lanes.has(base.text)) fail('derivative code that steps a primal variable');
      }
      if (ts.isCallExpression(n)) {
        const callee = n.expression;
        const name = calleeName(n);
        const runtime = ts.isIdentifier(callee) ? runtimeRefOf(callee) : undefined;
        const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : null;
        const onMath = method !== null && ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Math';
        // A copy: Array.from(xs), Float64Array.from(xs).
        const copies = method === 'from' && ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && COPY_CTORS.has(callee.expression.text) && n.arguments.length === 1;
        // A method of a lane's array, or of a fresh one (`new Array<number>(n).fill(0)`).
        const onLane = method !== null && ts.isPropertyAccessExpression(callee) && (() => {
          if (ts.isNewExpression(callee.expression) || ts.isArrayLiteralExpression(callee.expression)) return true;
          const base = baseOf(callee.expression);
          return base !== null && this.lanes.has(base.text);
        })();
        if (name !== null && this.options.writesArguments?.has(name)) fail('a derivative that fills an argument, called once per lane');
        const ok = (runtime !== undefined && !TAPE_REFS.has(runtime)) || (name !== null && DERIVATIVE_CALL.test(name)) || onMath || copies
          || (method !== null && ARRAY_METHODS.has(method) && (onLane || method === 'slice'));
        if (!ok) fail('a call inside derivative code');
      }
      ts.forEachChild(n, walk);
    };
    walk(s);
  }

  /** The statements of a body, rewritten. */
  list(statements: readonly ts.Statement[], onReturn: (s: ts.ReturnStatement) => ts.Statement): ts.Statement[] {
    const out: ts.Statement[] = [];
    for (let i = 0; i < statements.length; i++) {
      const into = this.intoCall(statements, i);
      if (into) {
        out.push(into.statement);
        i += into.consumed;
      } else out.push(...this.statement(statements[i]!, onReturn));
    }
    return out;
  }

  /**
   * `const [, c] = valueAndVjp_g(a, b, dy); addInto(dA, c[0]); addInto(dB, c[1]);` (the scalar
   * reverse code of a call) -> `valueAndVjpsInto2_g(a, b, dy_0, dy_1, dA_0, dB_0, dA_1, dB_1);`
   * when g has an accumulate-into variant, each of its cotangents is added into a lane's container
   * right after the call and `c` is read nowhere else; null otherwise.
   */
  private intoCall(statements: readonly ts.Statement[], i: number): { statement: ts.Statement; consumed: number } | null {
    const s = statements[i]!;
    const d = derivativeDestructuring(s);
    if (!d || !d.declaration || d.elements.length !== 2 || !this.mentions(s)) return null;
    const [first, second] = d.elements as unknown as [ts.Node, ts.Node];
    if (!ts.isOmittedExpression(first) || !ts.isBindingElement(second) || !ts.isIdentifier(second.name)) return null;
    const into = this.options.into?.(calleeName(d.call)!);
    if (!into) return null;
    const c = second.name.text;
    const args = d.call.arguments;
    const fixed = args.slice(0, -1);
    const seed = args[args.length - 1];
    if (!seed || fixed.some((a) => this.mentions(a))) return null;
    const containers: ts.Identifier[] = [];
    for (let j = 0; j < into.containers; j++) {
      const t = statements[i + 1 + j];
      const call = t && ts.isExpressionStatement(t) && ts.isCallExpression(t.expression) ? t.expression : null;
      if (!call || calleeName(call) !== 'addInto' || call.arguments.length !== 2) return null;
      const [dst, part] = call.arguments as unknown as [ts.Expression, ts.Expression];
      const ownPart = into.containers === 1
        ? ts.isIdentifier(part) && part.text === c
        : ts.isElementAccessExpression(part) && ts.isIdentifier(part.expression) && part.expression.text === c && ts.isNumericLiteral(part.argumentExpression) && Number(part.argumentExpression.text) === j;
      const container = bareIdentifier(dst);
      if (!ownPart || !container || !this.lanes.has(container.text)) return null;
      containers.push(container);
    }
    if (statements.slice(i + 1 + into.containers).some((t) => mentionsAny(t, new Set([c])))) return null;
    if (mentionsAny(seed, new Set(containers.map((x) => x.text)))) return null;
    this.checkRepeatable(seed);
    const k = this.options.k;
    const seeds = Array.from({ length: k }, (_, r) => this.rename(seed, r));
    const targets = Array.from({ length: k }, (_, r) => containers.map((x) => this.rename(x, r))).flat();
    const call = f.createExpressionStatement(f.createCallExpression(f.createIdentifier(into.name), undefined, [...fixed, ...seeds, ...targets]));
    ts.setSyntheticLeadingComments(call, ts.getSyntheticLeadingComments(s));
    return { statement: call, consumed: into.containers };
  }

  private one(statements: ts.Statement[], like: ts.Statement): ts.Statement {
    if (statements.length === 1) return statements[0]!;
    return ts.isBlock(like) ? f.updateBlock(like, statements) : f.createBlock(statements, true);
  }

  private statement(s: ts.Statement, onReturn: (s: ts.ReturnStatement) => ts.Statement): ts.Statement[] {
    const k = this.options.k;
    const inner = (b: ts.Statement) => this.one(this.statement(b, onReturn), b);
    if (ts.isReturnStatement(s)) return [onReturn(s)];
    if (ts.isBlock(s)) return [f.updateBlock(s, this.list(s.statements, onReturn))];
    if (ts.isIfStatement(s)) {
      if (this.mentions(s.expression)) return this.repeated(s);
      return [f.updateIfStatement(s, s.expression, inner(s.thenStatement), s.elseStatement && inner(s.elseStatement))];
    }
    if (ts.isWhileStatement(s) || ts.isDoStatement(s)) {
      if (this.mentions(s.expression)) throw new LanesUnsupported('a loop whose condition reads a derivative');
      return [ts.isWhileStatement(s) ? f.updateWhileStatement(s, s.expression, inner(s.statement)) : f.updateDoStatement(s, inner(s.statement), s.expression)];
    }
    if (ts.isForStatement(s)) {
      if ((s.initializer && this.mentions(s.initializer)) || (s.condition && this.mentions(s.condition)) || (s.incrementor && this.mentions(s.incrementor))) {
        throw new LanesUnsupported('a loop whose header reads a derivative');
      }
      return [f.updateForStatement(s, s.initializer, s.condition, s.incrementor, inner(s.statement))];
    }
    if (ts.isLabeledStatement(s)) return [f.updateLabeledStatement(s, s.label, inner(s.statement))];
    if (!this.mentions(s)) return [s];
    if (!ts.isVariableStatement(s) && !ts.isExpressionStatement(s)) throw new LanesUnsupported(`a ${K[s.kind]} in derivative code`);
    const call = derivativeDestructuring(s);
    if (call) {
      const merged = this.laneCall(s, call);
      if (merged) return [merged];
    }
    this.checkRepeatable(s);
    const out: ts.Statement[] = [];
    for (let r = 0; r < k; r++) out.push(this.copy(r === 0 || !call ? s : this.dropPrimalBindings(s), r));
    return out;
  }

  /** `if (dX !== 0) {...}`: the whole statement, once per lane. */
  private repeated(s: ts.Statement): ts.Statement[] {
    this.checkRepeatable(s);
    return Array.from({ length: this.options.k }, (_, r) => this.copy(s, r));
  }

  /** The lane-r copy of a statement; its source-line comment stays with the first lane. */
  private copy(s: ts.Statement, r: number): ts.Statement {
    const c = this.rename(s, r);
    if (r > 0) ts.setSyntheticLeadingComments(c, undefined);
    return c;
  }

  /** `const [y, dy] = jvp_g(...)` for lanes after the first: `const [, dy] = ...` (the primal is bound once). */
  private dropPrimalBindings(s: ts.Statement): ts.Statement {
    const omit = (e: ts.Node): boolean => {
      const names: string[] = [];
      bindingNames(ts.isBindingElement(e) ? e.name : (e as ts.Expression), names);
      return names.length > 0 && names.every((n) => !this.lanes.has(n));
    };
    if (ts.isVariableStatement(s)) {
      const d = s.declarationList.declarations[0]!;
      const pattern = d.name as ts.ArrayBindingPattern;
      const elements = pattern.elements.map((e) => (!ts.isOmittedExpression(e) && omit(e) ? f.createOmittedExpression() : e));
      const decl = f.updateVariableDeclaration(d, f.updateArrayBindingPattern(pattern, elements), d.exclamationToken, d.type, d.initializer);
      return f.updateVariableStatement(s, s.modifiers, f.updateVariableDeclarationList(s.declarationList, [decl]));
    }
    const e = (s as ts.ExpressionStatement).expression as ts.BinaryExpression;
    const left = e.left as ts.ArrayLiteralExpression;
    const elements = left.elements.map((x) => (!ts.isOmittedExpression(x) && omit(x) ? f.createOmittedExpression() : x));
    return f.updateExpressionStatement(s as ts.ExpressionStatement, f.updateBinaryExpression(e, f.updateArrayLiteralExpression(left, elements), e.operatorToken, e.right));
  }

  /**
   * `const [y, dy] = jvp_g(a, da)` -> `const [y, [dy_0, dy_1]] = jvps2_g(a, [[da_0], [da_1]])`;
   * `const [, g] = valueAndVjp_g(a, dy)` -> `const [, [g_0, g_1]] = valueAndVjps2_g(a, [dy_0, dy_1])`.
   */
  private laneCall(s: ts.Statement, d: NonNullable<ReturnType<typeof derivativeDestructuring>>): ts.Statement | null {
    const variant = this.options.callee?.(calleeName(d.call)!);
    if (!variant || d.elements.length !== 2) return null;
    const [first, second] = d.elements as unknown as [ts.Node, ts.Node];
    if (this.mentions(first) || ts.isOmittedExpression(second)) return null;
    const args = d.call.arguments;
    const nLane = variant.kind === 'jvp' ? variant.tangents : 1;
    if (args.length < nLane) return null;
    const fixed = args.slice(0, args.length - nLane);
    if (fixed.some((a) => this.mentions(a))) return null;
    const laneArgs = args.slice(args.length - nLane);
    for (const a of laneArgs) this.checkRepeatable(a);
    const k = this.options.k;
    const perLane = Array.from({ length: k }, (_, r) => laneArgs.map((a) => this.rename(a, r)));
    const packed = variant.kind === 'jvp' ? perLane.map((xs) => f.createArrayLiteralExpression(xs)) : perLane.map((xs) => xs[0]!);
    const call = f.createCallExpression(f.createIdentifier(variant.name), undefined, [...fixed, f.createArrayLiteralExpression(packed)]);
    if (d.declaration) {
      const el = second as ts.BindingElement;
      const lanes = Array.from({ length: k }, (_, r) => f.createBindingElement(undefined, undefined, this.rename(el.name, r)));
      const pattern = f.createArrayBindingPattern([first as ts.ArrayBindingElement, f.createBindingElement(undefined, undefined, f.createArrayBindingPattern(lanes))]);
      const vs = s as ts.VariableStatement;
      const decl = f.createVariableDeclaration(pattern, undefined, undefined, call);
      return f.updateVariableStatement(vs, vs.modifiers, f.createVariableDeclarationList([decl], vs.declarationList.flags));
    }
    const target = f.createArrayLiteralExpression([first as ts.Expression, f.createArrayLiteralExpression(Array.from({ length: k }, (_, r) => this.rename(second as ts.Expression, r)))]);
    return f.createExpressionStatement(f.createAssignment(target, call));
  }
}

export const nullContext: ts.TransformationContext = (ts as unknown as { nullTransformationContext: ts.TransformationContext }).nullTransformationContext;

/**
 * `return [value, derivative]` -> `return [value, [derivative_0, ..., derivative_k-1]]`
 * (the derivative expression renamed per lane).
 */
export function laneReturn(lanes: Lanes, k: number): (s: ts.ReturnStatement) => ts.Statement {
  return (s) => {
    const e = s.expression;
    const pair = e && ts.isArrayLiteralExpression(e) && e.elements.length === 2 ? e : null;
    if (!pair || lanes.mentions(pair.elements[0]!)) throw new LanesUnsupported('a return that is not [value, derivative]');
    const d = pair.elements[1]!;
    return f.updateReturnStatement(s, f.updateArrayLiteralExpression(pair, [pair.elements[0]!, f.createArrayLiteralExpression(Array.from({ length: k }, (_, r) => lanes.rename(d, r)))]));
  };
}

/** `[V, D]` -> `[V, [D, D, ...]]` (k times). */
export function laneResultType(t: ts.TypeNode | undefined, k: number): ts.TypeNode {
  if (!t || !ts.isTupleTypeNode(t) || t.elements.length !== 2) throw new LanesUnsupported('a derivative whose result type is not [value, derivative]');
  const [v, d] = t.elements as unknown as [ts.TypeNode, ts.TypeNode];
  return f.createTupleTypeNode([v, f.createTupleTypeNode(Array.from({ length: k }, () => d))]);
}
