/**
 * The build driver: compile source files and put the generated `*.grad.ts`
 * files on disk safely. Used by the CLI (`wengert build`), the watcher and
 * the tsc plugin.
 */
export { build, EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK } from './build.ts';
export type { BuildOptions, BuildResult } from './build.ts';
export { watch } from './watch.ts';
export type { WatchOptions, Watcher } from './watch.ts';
export { expandSourcePaths, isSourceFileName } from './expand.ts';
export { formatBuildMessage } from './messages.ts';
export type { BuildMessage } from './messages.ts';
export { writeGeneratedFile, removeGeneratedFile } from './safe-write.ts';
export { writeOutputs } from './write-outputs.ts';
