// A hand-written SVG chart of the end-to-end results: one group of horizontal bars per scenario
// (each group on its own scale, since scenarios differ by orders of magnitude), each bar labelled
// with its requests/s and its ratio to node:http and to the raw node:net ceiling, and a legend.

import { fmtRate, fmtRatio } from './common.mjs';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderChart(results) {
  const servers = results.servers;
  const skipped = Object.keys(results.skipped ?? {});
  const W = 1000;
  const left = 190;      // bars start here (server names to the left)
  const barMax = 470;    // longest bar
  const barH = 16;
  const gap = 5;
  const font = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
  const parts = [];
  let y = 28;

  parts.push(`<text x="20" y="${y}" font-size="18" font-weight="700">wasgi end to end: requests per second (higher is better)</text>`);
  y += 20;
  const c = results.config;
  parts.push(`<text x="20" y="${y}" font-size="12" fill="#495057">median of ${c.rounds} rounds × ${c.seconds} s per server, rounds alternating; wrk -t${c.wrkThreads} on the same 2 shared cores; ${esc(results.date.slice(0, 10))}, Node ${esc(results.machine.node)}. Each scenario has its own scale.</text>`);
  y += 22;

  // Legend.
  let lx = 20;
  for (const s of servers) {
    parts.push(`<rect x="${lx}" y="${y - 11}" width="12" height="12" rx="2" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 17}" y="${y}" font-size="12">${esc(s.label)}</text>`);
    lx += 30 + s.label.length * 6.6;
  }
  for (const id of skipped) {
    parts.push(`<rect x="${lx}" y="${y - 11}" width="12" height="12" rx="2" fill="none" stroke="#adb5bd" stroke-dasharray="2 2"/>`);
    parts.push(`<text x="${lx + 17}" y="${y}" font-size="12" fill="#868e96">${esc(id)} (skipped: not installed)</text>`);
    lx += 50 + (id.length + 24) * 6.2;
  }
  y += 18;

  for (const sc of results.scenarios) {
    y += 14;
    parts.push(`<text x="20" y="${y}" font-size="14" font-weight="700">${esc(sc.title)}</text>`);
    parts.push(`<text x="${(20 + sc.title.length * 8.6 + 12).toFixed(0)}" y="${y}" font-size="12" fill="#868e96">${esc(sc.detail ?? '')}</text>`);
    y += 8;
    const max = Math.max(...servers.map((s) => sc.servers[s.id]?.medianRps).filter(Number.isFinite), 1);
    for (const s of servers) {
      const r = sc.servers[s.id];
      const top = y;
      parts.push(`<text x="${left - 8}" y="${top + barH - 4}" font-size="12" text-anchor="end">${esc(s.label)}</text>`);
      if (!r || !Number.isFinite(r.medianRps)) {
        parts.push(`<text x="${left}" y="${top + barH - 4}" font-size="12" fill="#868e96">failed${r?.error ? `: ${esc(r.error.split('\n')[0].slice(0, 90))}` : ''}</text>`);
      } else {
        const w = Math.max(1, (r.medianRps / max) * barMax);
        parts.push(`<rect x="${left}" y="${top}" width="${w.toFixed(1)}" height="${barH}" rx="2" fill="${s.color}"${s.id === 'wasgi' ? '' : ' fill-opacity="0.85"'}/>`);
        let label = `${fmtRate(r.medianRps)} req/s`;
        if (s.id !== 'node-http' && Number.isFinite(r.ratioNodeHttp)) label += ` · ${fmtRatio(r.ratioNodeHttp)} node:http`;
        if (s.id !== 'raw-net' && Number.isFinite(r.ratioRaw)) label += ` · ${fmtRatio(r.ratioRaw)} raw`;
        if (r.totalErrors) label += ` · ${r.totalErrors} errors`;
        const weight = s.id === 'wasgi' ? ' font-weight="700"' : '';
        parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${top + barH - 4}" font-size="12"${weight}>${esc(label)}</text>`);
      }
      y += barH + gap;
    }
  }
  y += 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" ${font}>\n` +
    `<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}
