/**
 * A damped pendulum integrated with the classical Runge-Kutta method (RK4):
 *
 *   theta' = omega,   omega' = -k sin(theta) - c omega
 *
 * from (theta0, omega0) for n steps of size h. `pendulum` returns the energy
 * left at the end, 1/2 omega^2 + k (1 - cos theta), and is differentiated in
 * the initial state and both coefficients. Its loop is checkpointed
 * (`@checkpoint`, docs/memory.md): the gradient's reverse sweep keeps
 * O(sqrt n) snapshots of (theta, omega) and recomputes the steps between
 * them, where the plain tape (`pendulumTaped`, the same code without the
 * tag) records every step. Both give the same gradient, bit for bit.
 * `wengert build examples` writes model.grad.ts beside this file;
 * examples/pendulum/main.ts prints the gradient and the memory of each.
 */

/**
 * Energy after n RK4 steps of the damped pendulum.
 * @differentiable wrt(theta0, omega0, k, c)
 */
export function pendulum(theta0: number, omega0: number, k: number, c: number, h: number, n: number): number {
  let theta = theta0;
  let omega = omega0;
  /** @checkpoint */
  for (let i = 0; i < n; i++) {
    const a1 = omega;
    const b1 = -k * Math.sin(theta) - c * omega;
    const theta2 = theta + 0.5 * h * a1;
    const omega2 = omega + 0.5 * h * b1;
    const a2 = omega2;
    const b2 = -k * Math.sin(theta2) - c * omega2;
    const theta3 = theta + 0.5 * h * a2;
    const omega3 = omega + 0.5 * h * b2;
    const a3 = omega3;
    const b3 = -k * Math.sin(theta3) - c * omega3;
    const theta4 = theta + h * a3;
    const omega4 = omega + h * b3;
    const a4 = omega4;
    const b4 = -k * Math.sin(theta4) - c * omega4;
    theta = theta + (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
    omega = omega + (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
  }
  return 0.5 * omega * omega + k * (1 - Math.cos(theta));
}

/**
 * The same integration recorded on the plain tape (no checkpoints), for comparison.
 * @differentiable wrt(theta0, omega0, k, c)
 */
export function pendulumTaped(theta0: number, omega0: number, k: number, c: number, h: number, n: number): number {
  let theta = theta0;
  let omega = omega0;
  for (let i = 0; i < n; i++) {
    const a1 = omega;
    const b1 = -k * Math.sin(theta) - c * omega;
    const theta2 = theta + 0.5 * h * a1;
    const omega2 = omega + 0.5 * h * b1;
    const a2 = omega2;
    const b2 = -k * Math.sin(theta2) - c * omega2;
    const theta3 = theta + 0.5 * h * a2;
    const omega3 = omega + 0.5 * h * b2;
    const a3 = omega3;
    const b3 = -k * Math.sin(theta3) - c * omega3;
    const theta4 = theta + h * a3;
    const omega4 = omega + h * b3;
    const a4 = omega4;
    const b4 = -k * Math.sin(theta4) - c * omega4;
    theta = theta + (h / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
    omega = omega + (h / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
  }
  return 0.5 * omega * omega + k * (1 - Math.cos(theta));
}
