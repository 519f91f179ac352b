/**
 * Golden case "methods": a class method with the `differentiable` decorator
 * reading fields of `this`; the generated functions take the instance first.
 */
import { differentiable } from 'wengert';

export class Spring {
  constructor(
    readonly rest: number,
    readonly stiffness: number,
  ) {}

  @differentiable
  energy(x: number, y: number): number {
    const stretch = Math.hypot(x, y) - this.rest;
    return 0.5 * this.stiffness * stretch * stretch;
  }
}
