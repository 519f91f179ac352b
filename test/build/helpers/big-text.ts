/**
 * A large generated-looking file text, different for each variant, so a
 * torn write (half of one variant, half of another) would be visible.
 */
import { generatedHeader } from '../../../compiler/emit/header.ts';

export function bigGeneratedText(variant: number): string {
  const line = `// variant ${variant}: ${String(variant).repeat(200)}\n`;
  return generatedHeader('model.ts') + line.repeat(2000);
}
