// Markdown tables from the results JSON (used by the bench scripts and bench/report.mjs).

import { fmtRate, fmtRatio } from './common.mjs';

export function e2eMarkdown(results) {
  const ids = results.servers.map((s) => s.id);
  const labels = Object.fromEntries(results.servers.map((s) => [s.id, s.label]));
  let out = `\n### End to end (median of ${results.config.rounds} × ${results.config.seconds} s, wrk -t${results.config.wrkThreads})\n\n`;
  out += `| scenario | ${ids.map((id) => labels[id]).join(' | ')} |\n|---|${ids.map(() => '---:').join('|')}|\n`;
  for (const sc of results.scenarios) {
    const cells = ids.map((id) => {
      const r = sc.servers[id];
      if (!r || r.error && !Number.isFinite(r.medianRps)) return 'failed';
      let cell = `${fmtRate(r.medianRps)}`;
      if (id !== 'node-http') cell += ` (${fmtRatio(r.ratioNodeHttp)})`;
      if (r.totalErrors) cell += ` ⚠${r.totalErrors} err`;
      return cell;
    });
    out += `| ${sc.title} | ${cells.join(' | ')} |\n`;
  }
  out += `\nRequests/s; (×) = ratio to node:http.\n\n| scenario | ${ids.map((id) => `${labels[id]} ÷ raw`).join(' | ')} |\n|---|${ids.map(() => '---:').join('|')}|\n`;
  for (const sc of results.scenarios) out += `| ${sc.title} | ${ids.map((id) => fmtRatio(sc.servers[id]?.ratioRaw)).join(' | ')} |\n`;
  out += `\n| scenario | ${ids.map((id) => `${labels[id]} RSS MB`).join(' | ')} |\n|---|${ids.map(() => '---:').join('|')}|\n`;
  for (const sc of results.scenarios) out += `| ${sc.title} | ${ids.map((id) => { const v = sc.servers[id]?.medianRssMB; return Number.isFinite(v) ? v.toFixed(1) : '—'; }).join(' | ')} |\n`;
  out += `\n| scenario | ${ids.map((id) => `${labels[id]} CPU`).join(' | ')} |\n|---|${ids.map(() => '---:').join('|')}|\n`;
  for (const sc of results.scenarios) out += `| ${sc.title} | ${ids.map((id) => { const v = sc.servers[id]?.medianServerCpu; return Number.isFinite(v) ? `${Math.round(v * 100)}%` : '—'; }).join(' | ')} |\n`;
  out += '\nServer CPU: CPU-seconds per second of wall time during the run (over 100%: GC and libuv threads).\n';
  if (Object.keys(results.skipped).length) out += `\nSkipped: ${Object.entries(results.skipped).map(([k, v]) => `${k} (${v})`).join('; ')}\n`;
  out += '\nTargets:\n';
  for (const t of results.targets) {
    out += `- ${t.name} ≥ ${t.goal}: ${t.value == null ? 'n/a' : t.value.toFixed(2)}${t.paired == null ? '' : ` (per-round paired median ${t.paired.toFixed(2)})`} → ${t.holds === null ? 'n/a' : t.holds ? 'holds' : 'does not hold'}\n`;
  }
  return out;
}

export function parserMarkdown(results) {
  let out = `\n### Parser (one process, median of ${results.config.runs} runs of ~${results.config.targetMsPerRun} ms)\n\n`;
  out += '| workload | parser | requests/s | MB/s | ns/request | × llhttp native |\n|---|---|---:|---:|---:|---:|\n';
  for (const w of results.workloads) {
    for (const p of results.parsers) {
      const r = w.parsers[p.id];
      if (!r) continue;
      out += `| ${w.title} (${w.bytes} B) | ${p.label} | ${fmtRate(r.medianReqPerSec)} | ${r.medianMBPerSec.toFixed(0)} | ${r.nsPerRequest.toFixed(0)} | ${fmtRatio(r.ratioNative)} |\n`;
    }
  }
  for (const [k, v] of Object.entries(results.skipped)) out += `\nSkipped ${k}: ${v}\n`;
  if (results.workloads.every((w) => w.wasiShim)) {
    const ratio = (r) => `${r.median.toFixed(3)}× (${r.quartiles[0].toFixed(3)}–${r.quartiles[1].toFixed(3)})`;
    out += '\nThe WASI shim on the hot path: build/wasgi.wasm ÷ the core built without it, and ÷ a second instance of itself (control), paired per run: median (middle half of the runs):\n\n';
    out += '| workload | with WASI shim | without | with ÷ without | with ÷ itself (control) |\n|---|---:|---:|---:|---:|\n';
    for (const w of results.workloads) {
      out += `| ${w.title} | ${fmtRate(w.parsers.wasgi.medianReqPerSec)} | ${fmtRate(w.parsers['wasgi-noimports'].medianReqPerSec)} | ${ratio(w.wasiShim.ratio)} | ${ratio(w.wasiShim.control)} |\n`;
    }
  }
  out += '\nTargets:\n';
  for (const t of results.targets) out += `- ${t.name} ≥ ${t.goal}: ${t.value.toFixed(2)} → ${t.holds ? 'holds' : 'does not hold'}\n`;
  return out;
}

export function memoryMarkdown(results) {
  const c = results.config;
  let out = `\n### Memory: ${c.connections} idle keep-alive connections (median of ${c.rounds} rounds)\n\n`;
  out += '| server | baseline RSS MB | with connections MB (settled) | growth MB (settled) | bytes/conn (settled) | after GC MB | growth MB (after GC) | bytes/conn (after GC) | open at end |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const r of Object.values(results.servers)) {
    const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
    out += `| ${r.label} | ${f(r.median_baselineMB)} | ${f(r.median_settledMB)} | ${f(r.median_growthSettledMB)} | ${f(r.median_bytesPerConnSettled, 0)} | ${f(r.median_afterGcMB)} | ${f(r.median_growthAfterGcMB)} | ${f(r.median_bytesPerConnAfterGc, 0)} | ${f(r.median_open, 0)} |\n`;
  }
  const w = results.servers.wasgi;
  if (Number.isFinite(w?.median_wasmBytesPerConn)) {
    out += `\nOf wasgi's growth, ${w.median_wasmGrowthMB.toFixed(1)} MB (${w.median_wasmBytesPerConn.toFixed(0)} bytes/conn) is resident WebAssembly memory (connection slots: record + window pages touched); the rest is the JS side (sockets, per-connection objects).\n`;
  }
  out += '\nTargets:\n';
  for (const t of results.targets) out += `- ${t.name}: ${Number.isFinite(t.value) ? t.value.toFixed(1) : 'n/a'} MB vs ${Number.isFinite(t.goal) ? t.goal.toFixed(1) : 'n/a'} MB → ${t.holds ? 'holds' : 'does not hold'}\n`;
  return out;
}
