// A fabric snapshot as one self-contained SVG document: a box per node (its name, AS, addresses and
// blocks), a line per BGP session coloured by its state, and a legend. Every element a test or a
// script may look for carries a data attribute: data-node / data-kind / data-health on boxes,
// data-session-state / data-session-class / data-session-a / data-session-b on lines, data-block on
// block lines, and counts on the root.
import { type Box, LINE_HEIGHT, layout } from './layout.js';
import {
  type FabricSnapshot,
  SESSION_CLASSES,
  type SessionClass,
  sessionClass,
  shownView,
  viewClass,
} from './snapshot.js';

/** Line colour and dash per class (colour-blind safe pairs: the dash tells them apart too). */
export const SESSION_STYLE: Record<SessionClass, { colour: string; dash: string; label: string }> = {
  established: { colour: '#2a9d4a', dash: '', label: 'Established' },
  connecting: { colour: '#e09b00', dash: '8 4', label: 'Active / Connect / OpenSent' },
  idle: { colour: '#c62828', dash: '2 4', label: 'Idle (or down)' },
  'bfd-down': { colour: '#7b1fa2', dash: '12 3 2 3', label: 'BFD down' },
};

const KIND_FILL: Record<Box['node']['kind'], string> = {
  spine: '#e3ecf7',
  router: '#e3ecf7',
  reflector: '#fff4d6',
  host: '#ffffff',
};

/** Escapes text for XML content and attribute values. */
export function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

function nodeBox(b: Box): string {
  const n = b.node;
  const dashed = n.health === 'ok' ? '' : ' stroke-dasharray="5 3"';
  const stroke = n.health === 'ok' ? '#37474f' : '#9e9e9e';
  const rx = n.kind === 'host' || n.kind === 'reflector' ? 4 : 14;
  const out = [
    `<g class="fabric-node" data-node="${xml(n.id)}" data-kind="${n.kind}" data-health="${n.health}">`,
    `<title>${xml([n.label, ...n.addresses, n.note ?? ''].filter(Boolean).join('\n'))}</title>`,
    `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${rx}" fill="${KIND_FILL[n.kind]}" stroke="${stroke}" stroke-width="1.5"${dashed}/>`,
  ];
  b.lines.forEach((l, i) => {
    const y = b.y + 8 + LINE_HEIGHT * (i + 1) - 3;
    const style =
      l.kind === 'label'
        ? 'font-weight="bold" font-size="13"'
        : l.kind === 'block'
          ? 'font-family="monospace" font-size="11" fill="#1a237e"'
          : l.kind === 'note'
            ? 'font-size="11" fill="#757575" font-style="italic"'
            : 'font-size="11" fill="#455a64"';
    const data = l.block ? ` class="fabric-block" data-block="${xml(l.block)}"` : '';
    out.push(`<text x="${b.x + 8}" y="${y}" ${style}${data}>${xml(l.text)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

function legend(y: number): string {
  const out = [`<g class="fabric-legend" transform="translate(24,${y})">`];
  out.push('<text x="0" y="12" font-size="12" font-weight="bold">sessions</text>');
  let x = 70;
  for (const c of SESSION_CLASSES) {
    const st = SESSION_STYLE[c];
    out.push(
      `<line x1="${x}" y1="8" x2="${x + 34}" y2="8" stroke="${st.colour}" stroke-width="3"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''} data-legend="${c}"/>`,
      `<text x="${x + 40}" y="12" font-size="11">${xml(st.label)}</text>`,
    );
    x += 40 + Math.ceil(st.label.length * 6.2) + 28; // ~6.2 px per character at 11 px sans-serif
  }
  out.push(
    '<text x="0" y="40" font-size="12" font-weight="bold">nodes</text>',
    `<rect x="70" y="28" width="30" height="16" rx="7" fill="${KIND_FILL.router}" stroke="#37474f"/>`,
    '<text x="106" y="40" font-size="11">router</text>',
    `<rect x="160" y="28" width="30" height="16" rx="2" fill="${KIND_FILL.reflector}" stroke="#37474f"/>`,
    '<text x="196" y="40" font-size="11">route reflector</text>',
    `<rect x="300" y="28" width="30" height="16" rx="2" fill="${KIND_FILL.host}" stroke="#37474f"/>`,
    '<text x="336" y="40" font-size="11">host (its blocks listed)</text>',
    '<rect x="490" y="28" width="30" height="16" rx="2" fill="#fff" stroke="#9e9e9e" stroke-dasharray="5 3"/>',
    '<text x="526" y="40" font-size="11">no or stale agent status</text>',
  );
  out.push('</g>');
  return out.join('\n');
}

/** The whole picture. */
export function renderSvg(s: FabricSnapshot): string {
  const l = layout(s);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="fabric" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="sans-serif" data-nodes="${s.nodes.length}" data-sessions="${l.lines.length}" role="img" aria-label="${xml(`${s.title}: ${s.nodes.length} nodes, ${l.lines.length} sessions`)}">`,
    `<title>${xml(s.title)}</title>`,
    `<rect width="${l.width}" height="${l.height}" fill="#fafafa"/>`,
    `<text x="24" y="26" font-size="16" font-weight="bold">${xml(s.title)}</text>`,
    `<text x="${l.width - 24}" y="26" font-size="11" fill="#757575" text-anchor="end">${xml(new Date(s.takenAtUnixMs).toISOString().replace(/\.\d+Z$/, 'Z'))}</text>`,
    '<g class="fabric-sessions">',
  ];
  for (const line of l.lines) {
    const c = sessionClass(line.session);
    const v = shownView(line.session);
    const st = SESSION_STYLE[c];
    const views = line.session.views
      .map(
        (x) =>
          `${x.by}: ${x.state}${x.bfd ? `, BFD ${x.bfd}` : ''}${x.info && viewClass(x) !== 'established' ? ` (${x.info})` : ''}`,
      )
      .join('\n');
    out.push(
      `<path class="fabric-session" d="${line.d}" fill="none" stroke="${st.colour}" stroke-width="2.5"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''} data-session-a="${xml(line.session.a)}" data-session-b="${xml(line.session.b)}" data-session-state="${xml(v.state)}" data-session-class="${c}"${v.bfd ? ` data-session-bfd="${xml(v.bfd)}"` : ''}><title>${xml(`${line.session.a} ↔ ${line.session.b}\n${views}`)}</title></path>`,
    );
  }
  out.push('</g>', '<g class="fabric-nodes">');
  for (const b of l.boxes) out.push(nodeBox(b));
  out.push('</g>', legend(l.legendY), '</svg>');
  return `${out.join('\n')}\n`;
}
