/**
 * Offsets and 1-based line/column pairs of one text, converted both ways as
 * the compiler counts them (ts-morph's `getLineAndColumnAtPos`: a line ends
 * at `\n`, a `\r\n` pair is one line break), in O(log n) per conversion.
 */
export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** The offset of a 1-based line and column, clamped to the text. */
  offsetOf(line: number, column: number): number {
    const lineIndex = Math.min(Math.max(line - 1, 0), this.starts.length - 1);
    return Math.min(this.starts[lineIndex]! + Math.max(column - 1, 0), this.text.length);
  }

  /** The 1-based line and column of an offset. */
  lineAndColumnOf(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.starts[low]! + 1 };
  }
}

/** One index per parsed file text (a new text is a new compiler node), for positions in diagnostics and IR locations. */
const indexes = new WeakMap<object, LineIndex>();

/** The 1-based line and column of `pos` in `sf`, as ts-morph counts them, without rescanning the file each time. */
export function lineAndColumnAt(sf: { compilerNode: object; getFullText(): string }, pos: number): { line: number; column: number } {
  let index = indexes.get(sf.compilerNode);
  if (!index) {
    index = new LineIndex(sf.getFullText());
    indexes.set(sf.compilerNode, index);
  }
  return index.lineAndColumnOf(pos);
}
