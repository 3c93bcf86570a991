// A schematic of the Polda's regencies, drawn from the units directory: each Polres seat gets
// the area nearer to it than to any other seat (a Voronoi diagram clipped to a box), labelled at
// the seat. No tiles and no network: it works offline. Cases are dots at their coordinates; cases
// without coordinates (calls, web reports without GPS) are one disc per regency at its seat, with
// their count. Overdue and escalated cases blink (wall.css) until handled.
const NS = 'http://www.w3.org/2000/svg';
const K = 240; // pixels per degree
const PAD = 0.3; // degrees around the seats

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// keep the part of polygon `poly` nearer to `a` than to `b` (Sutherland–Hodgman on the bisector)
function clip(poly, a, b) {
  const [nx, ny] = [b[0] - a[0], b[1] - a[1]];
  const c = (nx * (a[0] + b[0])) / 2 + (ny * (a[1] + b[1])) / 2;
  const side = (p) => c - (nx * p[0] + ny * p[1]);
  const out = [];
  for (let i = 0; i < poly.length; i++) {
    const [p, q] = [poly[i], poly[(i + 1) % poly.length]];
    const [sp, sq] = [side(p), side(q)];
    if (sp >= 0) out.push(p);
    if (sp >= 0 !== sq >= 0) {
      const r = sp / (sp - sq);
      out.push([p[0] + (q[0] - p[0]) * r, p[1] + (q[1] - p[1]) * r]);
    }
  }
  return out;
}

/** Draws the map into `box`; returns `plot(points)` to (re)draw the case dots. */
export function drawMap(box, units) {
  const seats = units.filter((u) => u.regency && u.lat !== null && u.lon !== null && u.lat !== undefined);
  const lons = seats.map((s) => s.lon);
  const lats = seats.map((s) => s.lat);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons) - PAD, Math.max(...lons) + PAD, Math.min(...lats) - PAD, Math.max(...lats) + PAD];
  const xy = (lon, lat) => [(lon - minLon) * K, (maxLat - lat) * K];
  const [w, h] = xy(maxLon, minLat);
  const root = svg('svg', { class: 'map', viewBox: `0 0 ${Math.round(w)} ${Math.round(h)}`, role: 'img', 'aria-labelledby': 'map-title' });
  root.append(svg('title', { id: 'map-title' }, 'Polda Sumatera Selatan'));
  const pts = seats.map((s) => xy(s.lon, s.lat));
  const cells = svg('g');
  seats.forEach((s, i) => {
    let poly = [[0, 0], [w, 0], [w, h], [0, h]];
    pts.forEach((p, j) => { if (j !== i && poly.length) poly = clip(poly, pts[i], p); });
    const cell = svg('polygon', { class: 'cell', points: poly.map((p) => p.map((n) => n.toFixed(1)).join(',')).join(' ') });
    cell.append(svg('title', {}, s.regency));
    cells.append(cell);
  });
  root.append(cells);
  const labels = svg('g');
  const placed = [];
  seats.forEach((s, i) => {
    const [x, y] = pts[i];
    const text = s.seat;
    // right of the seat, or left of it near the east edge; moved down while it overlaps another
    const width = text.length * 8.4;
    const right = x + 6 + width < w;
    const box = { x0: right ? x + 6 : x - 6 - width, y: y + 4 };
    while (placed.some((p) => Math.abs(p.y - box.y) < 17 && p.x0 < box.x0 + width && box.x0 < p.x0 + p.width)) box.y += 17;
    placed.push({ ...box, width });
    labels.append(svg('rect', { class: 'seat', x: x - 3, y: y - 3, width: 6, height: 6 }));
    labels.append(svg('text', { class: 'seat-label', x: right ? x + 6 : x - 6, y: box.y, 'text-anchor': right ? 'start' : 'end' }, text));
  });
  root.append(labels);
  const dots = svg('g', { id: 'map-points' });
  const seated = svg('g', { id: 'map-unlocated' });
  root.append(dots, seated);
  box.replaceChildren(root);
  return (points, unlocated = []) => {
    dots.replaceChildren(...points.filter((p) => p.lat !== null && p.lon !== null).map((p) => {
      const [x, y] = xy(p.lon, p.lat);
      const c = svg('circle', { class: `pt ${p.category}${p.alarm ? ' alarm' : ''}`, cx: x.toFixed(1), cy: y.toFixed(1), r: p.priority === 'emergency' ? 9 : 7, 'data-ticket': p.ticket });
      c.append(svg('title', {}, `${p.ticket} · ${p.regency}`));
      return c;
    }));
    // above the seat's square, so the seat's name stays readable
    // a kecamatan's disc sits on its own (approximate) point; a regency's above its seat's square
    seated.replaceChildren(...unlocated.filter((u) => u.lat !== null && u.lon !== null).map((u) => {
      const [x, y] = xy(u.lon, u.lat);
      const r = 11 + 3 * Math.sqrt(u.open);
      const cy = u.district_code ? y : y - r - 4;
      const g = svg('g', { class: `unl${u.alarm ? ' alarm' : ''}`, 'data-regency': u.regency, 'data-district': u.district_code ?? '', 'data-count': u.open });
      g.append(svg('circle', { cx: x.toFixed(1), cy: cy.toFixed(1), r: r.toFixed(1) }),
        svg('text', { x: x.toFixed(1), y: (cy + 5).toFixed(1), 'text-anchor': 'middle' }, String(u.open)),
        svg('title', {}, `${u.district ? `Kec. ${u.district}, ` : ''}${u.regency}: ${u.open}`));
      return g;
    }));
  };
}
