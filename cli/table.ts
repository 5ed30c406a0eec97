// Plain-text tables for the terminal: columns padded to their widest cell, no colours, so the output
// reads the same in a terminal, a CI log and a pasted bug report.

export function renderTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** "3m12s" style durations for "state since" columns. */
export function formatAge(sinceUnixMs: number, now = Date.now()): string {
  if (!sinceUnixMs) return '-';
  let s = Math.max(0, Math.round((now - sinceUnixMs) / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}
