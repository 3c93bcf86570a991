// Small inline SVG charts of our own (no library, no CDN): horizontal bars with a label and a
// value each. Built with DOM calls only (the CSP allows no inline code; no innerHTML).
const NS = 'http://www.w3.org/2000/svg';

function node(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Horizontal bars: `rows` = [{ label, value, text, warn }], `max` the full width's value. */
export function bars(rows, { max, title } = {}) {
  const top = Math.max(1, max ?? Math.max(0, ...rows.map((r) => r.value)));
  const rowH = 22, labelW = 170, barW = 360, valueW = 80;
  const h = rows.length * rowH + 8;
  const svg = node('svg', { viewBox: `0 0 ${labelW + barW + valueW} ${h}`, width: labelW + barW + valueW, height: h, role: 'img' });
  if (title) {
    svg.setAttribute('aria-label', title);
    svg.append(node('title', {}, title));
  }
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const w = Math.round((Math.max(0, r.value) / top) * barW);
    svg.append(
      node('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, r.label),
      node('rect', { x: labelW, y: y + 3, width: Math.max(w, 1), height: rowH - 8, class: r.warn ? 'bar warn' : 'bar' }),
      node('text', { x: labelW + w + 6, y: y + 15 }, r.text ?? String(r.value)),
    );
  });
  svg.append(node('line', { x1: labelW, y1: 2, x2: labelW, y2: h - 2, class: 'axis' }));
  return svg;
}
