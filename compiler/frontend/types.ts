/**
 * Maps TypeScript types (from the checker) to the IR's `VarType`: numbers,
 * numeric arrays and typed arrays, tuples and objects of those, booleans,
 * and `opaque` for everything the compiler does not differentiate.
 */
import { TypeFormatFlags } from 'ts-morph';
import type { Node, Type } from 'ts-morph';
import type { ArrayCtor, VarType } from '../ir/ir.ts';

const differentiableArrays: Record<string, ArrayCtor> = {
  Float64Array: 'Float64Array',
  Float32Array: 'Float32Array',
};

export function classifyType(type: Type, depth = 0): VarType {
  if (depth > 8) return { kind: 'opaque', text: type.getText() };
  if (type.isNumber() || type.isNumberLiteral()) return { kind: 'number' };
  if (isTensorType(type)) return { kind: 'tensor' };
  // A parameter of enum type (`mode: Mode`) picks a behaviour: a constant, never differentiated.
  if (isEnumType(type)) return { kind: 'opaque', text: type.getText() };
  // `1 | -1`, `0 | 1 | 2`: unions of number literals are numbers.
  if (type.isUnion() && type.getUnionTypes().every((t) => t.isNumber() || t.isNumberLiteral())) return { kind: 'number' };
  if (type.isBoolean() || type.isBooleanLiteral()) return { kind: 'bool' };
  if (type.isEnumLiteral() && type.isNumberLiteral()) return { kind: 'number' };
  const symbolName = type.getSymbol()?.getName();
  if (symbolName && differentiableArrays[symbolName]) {
    return { kind: 'array', ctor: differentiableArrays[symbolName]!, elem: { kind: 'number' } };
  }
  if (type.isTuple()) {
    return { kind: 'tuple', elems: type.getTupleElements().map((t) => classifyType(t, depth + 1)) };
  }
  if (type.isArray() || type.isReadonlyArray?.()) {
    const elem = type.getArrayElementType() ?? type.getTypeArguments()[0];
    if (elem) return { kind: 'array', ctor: 'Array', elem: classifyType(elem, depth + 1) };
  }
  if (type.isObject() && !type.getCallSignatures().length && !symbolName?.endsWith('Array')) {
    const props = type.getProperties();
    const decl = type.getSymbol()?.getDeclarations()[0];
    // Class instances are opaque: their methods may hide state.
    if (decl && decl.getKindName() === 'ClassDeclaration') return { kind: 'opaque', text: type.getText() };
    // Objects with methods (Map, Set, Date, a user interface with a method) are opaque for the same reason.
    const isMethod = (p: (typeof props)[number]): boolean => {
      const d = p.getValueDeclaration() ?? p.getDeclarations()[0];
      return !!d && (d.getKindName() === 'MethodSignature' || d.getKindName() === 'MethodDeclaration' || p.getTypeAtLocation(d).getCallSignatures().length > 0);
    };
    if (props.some(isMethod)) return { kind: 'opaque', text: type.getText() };
    if (props.length > 0) {
      const fields = props.map((p) => {
        const decl0 = p.getValueDeclaration() ?? p.getDeclarations()[0];
        const t = decl0 ? p.getTypeAtLocation(decl0) : p.getDeclaredType();
        return { name: p.getName(), type: classifyType(t, depth + 1) };
      });
      return { kind: 'object', fields };
    }
  }
  return { kind: 'opaque', text: type.getText() };
}

/** An enum (`Mode`, a union of its members), as opposed to one member's literal type (`Mode.Fast`, a number). */
export function isEnumType(type: Type): boolean {
  return type.isEnum() || (type.isUnion() && type.isEnumLiteral());
}

/** A numeric enum, or one of its members: a value usable as a (constant) number. */
export function isNumericEnumType(type: Type): boolean {
  if (type.isEnumLiteral() && type.isNumberLiteral()) return true;
  return isEnumType(type) && type.getUnionTypes().length > 0 && type.getUnionTypes().every((t) => t.isNumberLiteral());
}

/** The runtime's Tensor class, or `Tensor | number` (an operand of the ops). */
function isTensorType(type: Type): boolean {
  if (type.getSymbol()?.getName() === 'Tensor') return true;
  if (type.isUnion()) {
    const parts = type.getUnionTypes();
    return parts.some((p) => p.getSymbol()?.getName() === 'Tensor') && parts.every((p) => p.getSymbol()?.getName() === 'Tensor' || p.isNumber() || p.isNumberLiteral());
  }
  return false;
}

export function isDifferentiable(t: VarType): boolean {
  switch (t.kind) {
    case 'number':
    case 'tensor':
      return true;
    case 'array':
      return isDifferentiable(t.elem);
    case 'tuple':
      return t.elems.some(isDifferentiable);
    case 'object':
      return t.fields.some((f) => isDifferentiable(f.type));
    case 'bool':
    case 'opaque':
      return false;
    default:
      return t satisfies never;
  }
}

/** The TypeScript spelling of a type, for generated signatures. */
export function typeText(t: VarType): string {
  switch (t.kind) {
    case 'number':
      return 'number';
    case 'tensor':
      return 'Tensor';
    case 'bool':
      return 'boolean';
    case 'array':
      return t.ctor === 'Array' ? `${wrapUnion(typeText(t.elem))}[]` : t.ctor;
    case 'tuple':
      return `[${t.elems.map(typeText).join(', ')}]`;
    case 'object':
      return `{ ${t.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join('; ')} }`;
    case 'opaque':
      return t.text;
    default:
      return t satisfies never;
  }
}

/**
 * A checker type as the user wrote it, for messages: `Tensor`, not
 * `import("/abs/path/runtime/tensor").Tensor`. Names are printed as seen
 * from `at`; a qualifier the checker still adds is dropped.
 */
export function typeForMessage(type: Type, at: Node): string {
  const flags = TypeFormatFlags.UseAliasDefinedOutsideCurrentScope | TypeFormatFlags.NoTruncation;
  return withoutImportQualifiers(type.getText(at, flags));
}

/** The spelling of an IR type for messages (an opaque type's text without `import("...")` qualifiers). */
export function varTypeForMessage(t: VarType): string {
  return withoutImportQualifiers(typeText(t));
}

/** `import("/abs/runtime/tensor").Tensor[]` -> `Tensor[]`. */
export function withoutImportQualifiers(text: string): string {
  return text.replace(/import\((?:"[^"]*"|'[^']*')\)\./g, '');
}

function wrapUnion(s: string): string {
  return s.includes('|') ? `(${s})` : s;
}

/** The type reached by following `.prop` / `[i]` steps from `t`, or null when it does not exist. */
export function stepType(t: VarType, step: { kind: 'prop'; name: string } | { kind: 'index'; at?: number }): VarType | null {
  if (step.kind === 'prop') {
    if (t.kind === 'object') return t.fields.find((f) => f.name === step.name)?.type ?? null;
    return null;
  }
  if (t.kind === 'array') return t.elem;
  if (t.kind === 'tuple') return step.at !== undefined ? (t.elems[step.at] ?? null) : null;
  return null;
}
