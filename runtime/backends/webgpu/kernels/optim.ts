/**
 * The optimizer updates, in place, one thread per parameter element. The
 * element count is the bound size of p (arrayLength), so the parameter
 * block holds only the step's scalars and is shared by every parameter of
 * a step (one small upload per step, none when the scalars repeat).
 */
import { MAIN_1D, paramsBlock, storage } from '../wgsl.ts';

/** At most this many (p, g) pairs per SGD dispatch (8 storage buffers per shader stage). */
export const SGD_PAIRS = 4;

/**
 * p_k -= lr (g_k + wd p_k) for `pairs` parameters in one dispatch: the
 * threads cover the parameters one after the other. Parameter words: lr, wd.
 */
export const sgdSource = (pairs: number): string => {
  let decls = '';
  let body = '';
  for (let k = 0; k < pairs; k++) {
    decls += `${storage(2 * k, `p${k}`, 'f32', true)}${storage(2 * k + 1, `g${k}`, 'f32', false)}`;
    body += `  if (j < arrayLength(&p${k})) {
    if (wd == 0.0) { p${k}[j] = p${k}[j] - lr * g${k}[j]; } else { p${k}[j] = p${k}[j] - lr * (g${k}[j] + wd * p${k}[j]); }
    return;
  }
  j = j - arrayLength(&p${k});
`;
  }
  return `${decls}${paramsBlock(2 * pairs, 2)}
${MAIN_1D}
  let lr = pf(0u);
  let wd = pf(1u);
  var j = i;
${body}}
`;
};

/** v = mu v + g; p -= lr (nesterov ? g + mu v : v). Parameter words: lr, mu, nesterov. */
export const momentumSource = (): string => `${storage(0, 'p', 'f32', true)}${storage(1, 'g', 'f32', false)}${storage(2, 'v', 'f32', true)}${paramsBlock(3, 3)}
${MAIN_1D}
  if (i >= arrayLength(&p)) { return; }
  let mu = pf(1u);
  let vi = mu * v[i] + g[i];
  v[i] = vi;
  p[i] = p[i] - pf(0u) * select(vi, g[i] + mu * vi, pu(2u) != 0u);
}
`;

/** Adam with bias corrections c1 = 1 / (1 - b1^t), c2 = 1 / (1 - b2^t) from the host. Parameter words: lr, b1, b2, eps, c1, c2. */
export const adamSource = (): string => `${storage(0, 'p', 'f32', true)}${storage(1, 'g', 'f32', false)}${storage(2, 'm', 'f32', true)}${storage(3, 'v', 'f32', true)}${paramsBlock(4, 6)}
${MAIN_1D}
  if (i >= arrayLength(&p)) { return; }
  let b1 = pf(1u);
  let b2 = pf(2u);
  let gi = g[i];
  let mi = b1 * m[i] + (1.0 - b1) * gi;
  let vi = b2 * v[i] + (1.0 - b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] - (pf(0u) * mi * pf(4u)) / (sqrt(vi * pf(5u)) + pf(3u));
}
`;
