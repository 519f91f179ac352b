/**
 * Where the diagnostics tests write their sources: test/.generated/diagnostics/
 * (ignored by git; the repository's tsconfig.json applies there).
 */
import { fileURLToPath } from 'node:url';

export const diagnosticsDir = fileURLToPath(new URL('../.generated/diagnostics/', import.meta.url));
