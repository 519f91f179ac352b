/** Optimizers and parameter initialisation. */
export { SGD, Momentum, Adam } from './optimizers.ts';
export type { Optimizer, SGDOptions, MomentumOptions, AdamOptions } from './optimizers.ts';
export { glorotUniform, glorotNormal, heNormal, heUniform, xavierUniform, xavierNormal } from './init.ts';
export type { InitOptions } from './init.ts';
