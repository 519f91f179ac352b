/**
 * Every name the emitters invent, in one place. Names are deterministic
 * (derived from the primal names and counters, never random) and never
 * collide with the user's variables:
 *   x  -> dx       its tangent (forward mode) or adjoint (reverse mode)
 *   x  -> x_1      a value of x recomputed inside one reverse block
 *   loop k -> trips2  how many times a loop ran
 */
export class Naming {
  private readonly taken: Set<string>;
  private readonly derivs = new Map<string, string>();

  /** The name of the output cotangent parameter of reverse-mode functions. */
  readonly seed: string;

  constructor(irNames: Iterable<string>) {
    this.taken = new Set(irNames);
    this.seed = seedName(this.taken);
    for (const reserved of ['tape', this.seed, 'zerosLike', 'addInto']) this.taken.add(reserved);
  }

  /** A fresh name starting with `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}${k}`;
    this.taken.add(name);
    return name;
  }

  /** The tangent / adjoint of `v`: `dv`, or `v_d` when `dv` is taken. */
  deriv(v: string): string {
    let d = this.derivs.get(v);
    if (!d) {
      d = this.taken.has(`d${v}`) ? this.fresh(`${v}_d`) : this.fresh(`d${v}`);
      this.derivs.set(v, d);
    }
    return d;
  }

  /** A version of `v` inside a reverse block: `v_1`, `v_2`, ... */
  version(v: string): string {
    return this.fresh(`${v}_`);
  }
}

/** `dy`, unless the function has a `y` (whose adjoint is `dy`) or a `dy` of its own. */
export function seedName(names: ReadonlySet<string>): string {
  for (const candidate of ['dy', 'dout', 'dresult', 'seed']) {
    const clash = names.has(candidate) || (candidate.startsWith('d') && names.has(candidate.slice(1)));
    if (!clash) return candidate;
  }
  return 'cotangent';
}
