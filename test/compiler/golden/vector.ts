/**
 * Golden case "vector-valued": a function returning a tuple, which gets a
 * jacobian_ beside its jvp_ and vjp_.
 */

/** Polar to Cartesian coordinates, scaled. @differentiable */
export function polar(r: number, theta: number): [number, number] {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return [r * c, r * r * s];
}
