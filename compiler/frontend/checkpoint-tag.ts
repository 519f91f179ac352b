/**
 * The `/** @checkpoint *\/` comment on a loop (docs/memory.md): the reverse
 * sweep keeps snapshots of the loop's state instead of a tape of every trip
 * (compiler/transforms/checkpoint.ts, runtime/checkpoint.ts). Options:
 * `snapshots(s)`, the most snapshots held at once, and `every(k)`, trips per
 * recomputed step; `/** @checkpoint every(1) snapshots(20) *\/`.
 */
import { Node } from 'ts-morph';
import { fail } from './diagnostics.ts';

export type CheckpointTag = { snapshots?: number; every?: number };

const TAG = /@checkpoint\b([^\n@]*)/;
const OPTION = /^(snapshots|every)\((\d+)\)$/;

/** The tag's options when a `@checkpoint` JSDoc comment comes right before the loop (or its label), else null. */
export function readCheckpointTag(loop: Node): CheckpointTag | null {
  const parent = loop.getParent();
  const holder = parent && Node.isLabeledStatement(parent) ? parent : loop;
  for (const range of holder.getLeadingCommentRanges()) {
    const text = range.getText();
    if (!text.startsWith('/**')) continue;
    const m = TAG.exec(text);
    if (!m) continue;
    const tag: CheckpointTag = {};
    const words = m[1]!.replace(/\*\/\s*$/, '').replace(/\*/g, ' ').trim().split(/\s+/).filter((w) => w.length > 0);
    for (const w of words) {
      const o = OPTION.exec(w);
      if (!o || tag[o[1] as keyof CheckpointTag] !== undefined || Number(o[2]) < 1) {
        fail(loop, `@checkpoint does not take ${JSON.stringify(w)}`, 'write @checkpoint, optionally followed by snapshots(s) (most snapshots held at once, s >= 1) and every(k) (trips per recomputed step, k >= 1)');
      }
      tag[o[1] as keyof CheckpointTag] = Number(o[2]);
    }
    return tag;
  }
  return null;
}
