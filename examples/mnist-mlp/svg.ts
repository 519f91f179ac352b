/**
 * Writes training curves as a small standalone SVG: one panel per series
 * (e.g. loss per step, accuracy per epoch), with axes and min / max labels.
 */
export interface Series {
  title: string;
  values: readonly number[];
  color: string;
}

const PANEL_W = 420;
const PANEL_H = 240;
const PAD = 40;

function panel(s: Series, x0: number): string {
  const n = s.values.length;
  const lo = Math.min(...s.values);
  const hi = Math.max(...s.values);
  const span = hi - lo || 1;
  const px = (i: number) => x0 + PAD + (n <= 1 ? 0 : (i / (n - 1)) * (PANEL_W - 2 * PAD));
  const py = (v: number) => PAD + (1 - (v - lo) / span) * (PANEL_H - 2 * PAD);
  const points = s.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return [
    `<text x="${x0 + PANEL_W / 2}" y="20" text-anchor="middle" font-size="14">${s.title}</text>`,
    `<line x1="${x0 + PAD}" y1="${PANEL_H - PAD}" x2="${x0 + PANEL_W - PAD}" y2="${PANEL_H - PAD}" stroke="#888"/>`,
    `<line x1="${x0 + PAD}" y1="${PAD}" x2="${x0 + PAD}" y2="${PANEL_H - PAD}" stroke="#888"/>`,
    `<text x="${x0 + PAD - 4}" y="${PAD + 4}" text-anchor="end" font-size="10">${fmt(hi)}</text>`,
    `<text x="${x0 + PAD - 4}" y="${PANEL_H - PAD + 4}" text-anchor="end" font-size="10">${fmt(lo)}</text>`,
    `<text x="${x0 + PANEL_W - PAD}" y="${PANEL_H - PAD + 14}" text-anchor="end" font-size="10">${n}</text>`,
    `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${points}"/>`,
  ].join('\n');
}

/** An SVG document with the series side by side. */
export function curvesSvg(series: readonly Series[]): string {
  const width = PANEL_W * series.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...series.map((s, i) => panel(s, i * PANEL_W)),
    `</svg>`,
    '',
  ].join('\n');
}
