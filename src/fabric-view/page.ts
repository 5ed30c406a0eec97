// The HTML page the agent serves at /fabric: the SVG inline (so the DOM can be inspected), a line
// saying where the data came from, and a refresh every few seconds so an open tab follows the fabric.

import type { FabricSnapshot } from './snapshot.js';
import { renderSvg, xml } from './svg.js';

export const DEFAULT_REFRESH_S = 5;

export function renderPage(s: FabricSnapshot, { refreshS = DEFAULT_REFRESH_S, source = '' } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="${refreshS}">
<title>${xml(s.title)}</title>
<style>body{margin:0;background:#fafafa;font-family:sans-serif}p{margin:6px 24px;color:#616161;font-size:12px}</style>
</head>
<body data-node-count="${s.nodes.length}" data-session-count="${s.sessions.length}">
${renderSvg(s)}<p>${xml(source)}${source ? ' · ' : ''}refreshes every ${refreshS} s</p>
</body>
</html>
`;
}
