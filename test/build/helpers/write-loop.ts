/**
 * Child process for the concurrent-write test: writes one variant of a
 * large generated file to the same target many times with the safe writer.
 *
 *   node --import tsx write-loop.ts <source> <target> <variant> <iterations>
 */
import { writeGeneratedFile } from '../../../compiler/build/safe-write.ts';
import { bigGeneratedText } from './big-text.ts';

const [source, target, variant, iterations] = process.argv.slice(2);
if (!source || !target || !variant || !iterations) throw new Error('usage: write-loop.ts <source> <target> <variant> <iterations>');
const text = bigGeneratedText(Number(variant));
for (let k = 0; k < Number(iterations); k++) {
  const outcome = writeGeneratedFile(source, target, text);
  if (outcome.kind === 'refused') throw new Error(outcome.problem.message);
}
