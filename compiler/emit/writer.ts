/**
 * A small indented-text builder for generated code.
 */
export class Writer {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  /** `head {`, the body indented, `}` (or `tail`). */
  block(head: string, body: () => void, tail = '}'): this {
    this.line(head ? `${head} {` : '{');
    this.depth++;
    body();
    this.depth--;
    this.line(tail);
    return this;
  }

  indent(body: () => void): this {
    this.depth++;
    body();
    this.depth--;
    return this;
  }

  get length(): number {
    return this.lines.length;
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
