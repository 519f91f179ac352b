/** All tensor ops, one module per family. */
export * from './creation.ts';
export * from './elementwise.ts';
export * from './reductions.ts';
export * from './linalg.ts';
export * from './indexing.ts';
export * from './nn.ts';
export * from './adjoint.ts';
export * from './fused.ts';
export * from './matmul-fused.ts';
export * from './reduce-fused.ts';
export * from './scalars.ts';
export type { Operand } from './util.ts';
