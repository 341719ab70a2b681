/**
 * Plots submit→finalize latency (p50/p95/p99) and finalized tx/s against the offered load from
 * bench/results/latest.json (the `e2e.rate_<R>.*` figures) into docs/img/latency-vs-load.png.
 * No plotting library: the chart is an SVG built here and rasterised by headless Chromium
 * (playwright-core; the browser tests' Chromium, test/support/browser.ts: npm's
 * `@sparticuz/chromium`, or EDGECHAIN_CHROMIUM=<path>).
 * `node scripts/plot-bench.ts [results.json] [out.png]`
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/support/browser.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const inPath = process.argv[2] ?? ROOT + 'bench/results/latest.json';
const outPath = process.argv[3] ?? ROOT + 'docs/img/latency-vs-load.png';

interface Results { date: string; quick: boolean; machine: { cores: number; cpu: string; node: string }; figures: Record<string, number> }
const res = JSON.parse(readFileSync(inPath, 'utf8')) as Results;
const f = res.figures;
const rates = [...new Set(Object.keys(f).map((k) => /^e2e\.rate_(\d+)\.p50_ms$/.exec(k)?.[1]).filter((x): x is string => !!x).map(Number))].sort((a, b) => a - b);
if (!rates.length) {
  console.error(`no e2e.rate_*.p50_ms figures in ${inPath}: run \`npm run bench\` first`);
  process.exit(1);
}
const pts = rates.map((r) => ({ r, p50: f[`e2e.rate_${r}.p50_ms`], p95: f[`e2e.rate_${r}.p95_ms`], p99: f[`e2e.rate_${r}.p99_ms`], fin: f[`e2e.rate_${r}.finalized_tps`] }));

const W = 1000;
const H = 460;
const panel = { w: 400, h: 300, top: 80 };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const niceMax = (x: number) => {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= x)!;
};
const xMax = niceMax(Math.max(...rates) * 1.05);
const ticks = (max: number, n = 5) => Array.from({ length: n + 1 }, (_, i) => (max / n) * i);
const fmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(0)}`);

function axes(x0: number, yLabel: string, yTicks: { v: number; y: number; label: string }[]): string {
  const y0 = panel.top + panel.h;
  let s = `<rect x="${x0}" y="${panel.top}" width="${panel.w}" height="${panel.h}" fill="#fff" stroke="#888"/>`;
  for (const t of ticks(xMax)) {
    const x = x0 + (t / xMax) * panel.w;
    s += `<line x1="${x}" y1="${panel.top}" x2="${x}" y2="${y0}" stroke="#eee"/><text x="${x}" y="${y0 + 18}" text-anchor="middle">${fmt(t)}</text>`;
  }
  for (const t of yTicks) s += `<line x1="${x0}" y1="${t.y}" x2="${x0 + panel.w}" y2="${t.y}" stroke="#eee"/><text x="${x0 - 6}" y="${t.y + 4}" text-anchor="end">${t.label}</text>`;
  s += `<text x="${x0 + panel.w / 2}" y="${y0 + 40}" text-anchor="middle">offered load (tx/s)</text>`;
  s += `<text transform="translate(${x0 - 66},${panel.top + panel.h / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`;
  return s;
}

function line(pointsXY: [number, number][], color: string, dash = ''): string {
  const d = pointsXY.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5" ${dash ? `stroke-dasharray="${dash}"` : ''}/>` + pointsXY.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="4" fill="${color}"/>`).join('');
}

// left panel: latency, log scale
const lx0 = 90;
const allLat = pts.flatMap((p) => [p.p50, p.p95, p.p99]).filter((v) => v > 0);
const lmin = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...allLat, 1500))));
const lmax = 10 ** Math.ceil(Math.log10(Math.max(...allLat, 1500)));
const ly = (v: number) => panel.top + panel.h - ((Math.log10(Math.max(v, lmin)) - Math.log10(lmin)) / (Math.log10(lmax) - Math.log10(lmin))) * panel.h;
const lx = (r: number) => lx0 + (r / xMax) * panel.w;
const latTicks = [];
for (let v = lmin; v <= lmax; v *= 10) latTicks.push({ v, y: ly(v), label: v >= 1000 ? `${v / 1000} s` : `${v} ms` });
let svg = axes(lx0, 'submit → finalize latency (log)', latTicks);
svg += `<line x1="${lx0}" y1="${ly(1500)}" x2="${lx0 + panel.w}" y2="${ly(1500)}" stroke="#c00" stroke-dasharray="6 4"/><text x="${lx0 + panel.w - 4}" y="${ly(1500) - 6}" text-anchor="end" fill="#c00">p99 target 1.5 s</text>`;
svg += line(pts.map((p) => [lx(p.r), ly(p.p99)]), '#d62728') + line(pts.map((p) => [lx(p.r), ly(p.p95)]), '#ff7f0e') + line(pts.map((p) => [lx(p.r), ly(p.p50)]), '#1f77b4');
svg += [['p50', '#1f77b4'], ['p95', '#ff7f0e'], ['p99', '#d62728']].map(([n, c], i) => `<rect x="${lx0 + 10}" y="${panel.top + 10 + i * 20}" width="14" height="4" fill="${c}"/><text x="${lx0 + 30}" y="${panel.top + 16 + i * 20}">${n}</text>`).join('');

// right panel: finalized vs offered
const rx0 = 570;
const yMax = xMax;
const ry = (v: number) => panel.top + panel.h - (v / yMax) * panel.h;
const rx = (r: number) => rx0 + (r / xMax) * panel.w;
svg += axes(rx0, 'finalized tx/s (sustained)', ticks(yMax).map((v) => ({ v, y: ry(v), label: fmt(v) })));
svg += `<line x1="${rx(0)}" y1="${ry(0)}" x2="${rx(xMax)}" y2="${ry(yMax)}" stroke="#999" stroke-dasharray="6 4"/><text x="${rx(xMax * 0.62)}" y="${ry(yMax * 0.7)}" fill="#777">finalized = offered</text>`;
svg += line(pts.map((p) => [rx(p.r), ry(Math.min(p.fin, yMax))]), '#2ca02c');
const bd = f['e2e.breakdown_offered_tps'];
if (Number.isFinite(bd)) svg += `<line x1="${lx(bd)}" y1="${panel.top}" x2="${lx(bd)}" y2="${panel.top + panel.h}" stroke="#c00" stroke-width="1"/><line x1="${rx(bd)}" y1="${panel.top}" x2="${rx(bd)}" y2="${panel.top + panel.h}" stroke="#c00" stroke-width="1"/>`;

const title = `edgechain end-to-end: 4 sealers as processes on loopback — ${esc(res.machine.cpu)}, ${res.machine.cores} cores, Node ${esc(res.machine.node)}`;
const sub = `${res.date.slice(0, 16).replace('T', ' ')} UTC${res.quick ? ' (quick)' : ''} · e2e.tps ${f['e2e.tps']} tx/s at p99 ${f['e2e.p99_ms']} ms · breakdown at ${Number.isFinite(bd) ? bd + ' tx/s offered' : 'none'} (red line)`;
const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fafafa"/>
<text x="${W / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${title}</text>
<text x="${W / 2}" y="50" text-anchor="middle" fill="#555">${esc(sub)}</text>
${svg}
</svg>`;

// the browser tests' Chromium (npm's @sparticuz/chromium, or EDGECHAIN_CHROMIUM): nothing to install
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  await page.setContent(`<html><body style="margin:0">${doc}</body></html>`);
  mkdirSync(dirname(outPath), { recursive: true });
  await page.screenshot({ path: outPath, clip: { x: 0, y: 0, width: W, height: H } });
} finally {
  await browser.close();
}
console.log(`wrote ${outPath}`);
