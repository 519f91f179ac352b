/**
 * The 2-D PCA picture of chosen words as a small hand-written SVG: one
 * labelled dot per word, coloured by its group.
 */

export interface PlottedWord {
  word: string;
  group: string;
  x: number;
  y: number;
}

const WIDTH = 720;
const HEIGHT = 540;
const MARGIN = 48;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG text of the scatter plot. */
export function scatterSvg(points: readonly PlottedWord[], title: string): string {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => MARGIN + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - 2 * MARGIN);
  const sy = (y: number) => HEIGHT - MARGIN - ((y - y0) / (y1 - y0 || 1)) * (HEIGHT - 2 * MARGIN);
  const groups = [...new Set(points.map((p) => p.group))];
  const colour = (group: string) => COLOURS[groups.indexOf(group) % COLOURS.length]!;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (const p of points) {
    const [cx, cy] = [sx(p.x).toFixed(1), sy(p.y).toFixed(1)];
    lines.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${colour(p.group)}"/>`);
    lines.push(`<text x="${(sx(p.x) + 6).toFixed(1)}" y="${(sy(p.y) + 4).toFixed(1)}" font-size="12" fill="${colour(p.group)}">${escapeXml(p.word)}</text>`);
  }
  groups.forEach((group, k) => {
    const y = HEIGHT - 12 - (groups.length - 1 - k) * 16;
    lines.push(`<circle cx="16" cy="${y - 4}" r="4" fill="${colour(group)}"/>`);
    lines.push(`<text x="26" y="${y}" font-size="12">${escapeXml(group)}</text>`);
  });
  lines.push('</svg>');
  return lines.join('\n') + '\n';
}
