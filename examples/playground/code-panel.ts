/**
 * The code panel: the derivative code the page runs (model.grad.ts, as the
 * wengert Vite plugin generated it from model.ts and served it to this
 * page) and the model source beside it, in tabs, highlighted with
 * highlight.js.
 */
import hljs from 'highlight.js/lib/core';
import typescript from 'highlight.js/lib/languages/typescript';

hljs.registerLanguage('typescript', typescript);

export interface CodeFile {
  name: string;
  /** A line under the tabs saying what the file is. */
  note: string;
  text: string;
  /** data-testid of its code element. */
  testId: string;
}

/** Fills `container` with one tab per file; the first is shown. */
export function showCode(container: HTMLElement, files: readonly CodeFile[]): void {
  container.replaceChildren();
  const tabs = document.createElement('div');
  tabs.className = 'code-tabs';
  const note = document.createElement('p');
  note.className = 'code-note';
  const blocks = files.map((file) => {
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.className = 'hljs language-typescript';
    code.dataset.testid = file.testId;
    code.innerHTML = hljs.highlight(file.text, { language: 'typescript' }).value;
    pre.append(code);
    return pre;
  });
  const select = (index: number) => {
    blocks.forEach((block, i) => (block.hidden = i !== index));
    [...tabs.children].forEach((tab, i) => tab.classList.toggle('active', i === index));
    const file = files[index]!;
    note.textContent = `${file.note} (${file.text.split('\n').length} lines)`;
  };
  files.forEach((file, i) => {
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.textContent = file.name;
    tab.addEventListener('click', () => select(i));
    tabs.append(tab);
  });
  container.append(tabs, note, ...blocks);
  select(0);
}
