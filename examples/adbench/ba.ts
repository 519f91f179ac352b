/**
 * ADBench bundle adjustment: the reprojection error of one observation of a
 * point by a camera, and the weight error, written as plain TypeScript
 * (definition in examples/adbench/data/DEFINITIONS.md). wengert generates their
 * Jacobians into ba.grad.ts; ba-sparse.ts assembles the full sparse Jacobian.
 *
 * A camera is 11 values: Rodrigues rotation (3), centre (3), focal length,
 * principal point u0 v0, radial distortion k1 k2.
 */

/**
 * Rotates pt by the Rodrigues vector in rot[0..3): angle |r| about r / |r|,
 * or, for a zero angle, its first-order form pt + r x pt.
 *
 * @differentiable wrt(rot, pt)
 */
export function rodriguesRotate(rot: Float64Array, pt: Float64Array): [number, number, number] {
  const sqtheta = rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2];
  if (sqtheta !== 0) {
    const theta = Math.sqrt(sqtheta);
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const w0 = rot[0] / theta;
    const w1 = rot[1] / theta;
    const w2 = rot[2] / theta;
    const wCrossPt0 = w1 * pt[2] - w2 * pt[1];
    const wCrossPt1 = w2 * pt[0] - w0 * pt[2];
    const wCrossPt2 = w0 * pt[1] - w1 * pt[0];
    const along = (w0 * pt[0] + w1 * pt[1] + w2 * pt[2]) * (1 - cos);
    return [
      pt[0] * cos + wCrossPt0 * sin + w0 * along,
      pt[1] * cos + wCrossPt1 * sin + w1 * along,
      pt[2] * cos + wCrossPt2 * sin + w2 * along,
    ];
  } else {
    return [
      pt[0] + rot[1] * pt[2] - rot[2] * pt[1],
      pt[1] + rot[2] * pt[0] - rot[0] * pt[2],
      pt[2] + rot[0] * pt[1] - rot[1] * pt[0],
    ];
  }
}

/**
 * The weighted reprojection error of point x seen by camera cam at the
 * feature (featX, featY): w * (projection - feature).
 *
 * @differentiable wrt(cam, x, w)
 */
export function baReprojectionError(
  cam: Float64Array,
  x: Float64Array,
  w: number,
  featX: number,
  featY: number,
): [number, number] {
  const xo = new Float64Array(3);
  for (let i = 0; i < 3; i++) xo[i] = x[i] - cam[3 + i];
  const xcam = rodriguesRotate(cam, xo);

  const px = xcam[0] / xcam[2];
  const py = xcam[1] / xcam[2];
  const rsq = px * px + py * py;
  const distortion = 1 + cam[9] * rsq + cam[10] * rsq * rsq;
  const projX = px * distortion * cam[6] + cam[7];
  const projY = py * distortion * cam[6] + cam[8];
  return [w * (projX - featX), w * (projY - featY)];
}

/**
 * The weight error 1 - w^2, which keeps weights near 1.
 *
 * @differentiable wrt(w)
 */
export function baWeightError(w: number): number {
  return 1 - w * w;
}
