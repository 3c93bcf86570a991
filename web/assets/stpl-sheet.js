// The Surat Tanda Penerimaan Laporan (STPL) as one A4 sheet (stpl.css): letterhead, ticket,
// tracking code, the QR code of the tracking link (drawn from the modules the server computed,
// offline), time in WIB, category, what was reported, who received it and what happens next under
// the SOP. Used by the STPL page (/stpl/{ticket}, staff) and by the reporter's receipt page, which
// adds what the reporter typed (the public STPL answer carries no report text).
import { t } from './i18n.js';
import { el, fmtTime } from './util.js';

const NS = 'http://www.w3.org/2000/svg';

/** The QR code as an SVG element (a 4-module quiet zone is part of the path's box). */
export function qrSvg(qr, label) {
  const n = qr.size + 8;
  const s = document.createElementNS(NS, 'svg');
  for (const [k, v] of Object.entries({ viewBox: `0 0 ${n} ${n}`, class: 'qr', role: 'img', 'shape-rendering': 'crispEdges' })) s.setAttribute(k, v);
  const title = document.createElementNS(NS, 'title');
  title.textContent = label;
  const bg = document.createElementNS(NS, 'rect');
  for (const [k, v] of Object.entries({ width: n, height: n, fill: '#fff' })) bg.setAttribute(k, String(v));
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', qr.path);
  p.setAttribute('fill', '#000');
  s.append(title, bg, p);
  return s;
}

/** "15 menit", "2 jam", "3 hari" (English: "1 minute", "2 hours"). */
export function within(ms) {
  const [n, unit] = ms % 86_400_000 === 0 ? [ms / 86_400_000, 'd'] : ms % 3_600_000 === 0 ? [ms / 3_600_000, 'h'] : [Math.round(ms / 60_000), 'm'];
  return t(n === 1 ? `stpl.${unit}1` : `stpl.${unit}`, { n });
}

const row = (label, value, cls) => [el('dt', { text: t(label) }), el('dd', { class: cls, text: value || '—' })];

/**
 * Fills `box` with the sheet for `d` (an StplOut from the API). `typed`: what the reporter typed
 * on this page ({ description, name, address }), for the reporter's own STPL.
 */
export function renderStpl(box, d, typed = null) {
  const report = d.report || (typed && { description: typed.description, address: typed.address, reporter_name: typed.name, reporter_phone: '' });
  const officer = d.officer;
  const receivedBy = officer
    ? [officer.pangkat, officer.full_name || officer.username].filter(Boolean).join(' ')
    : t('stpl.by_channel', { channel: t(`stpl.ch.${d.channel}`) });
  box.replaceChildren(...[
    el('header', { class: 'kop' },
      el('p', { text: t('stpl.kop1') }),
      el('p', { text: d.polda.toUpperCase() }),
      el('p', { class: 'unit', text: d.receiving_unit.toUpperCase() }),
      d.receiving_unit === d.polda ? el('p', { class: 'cc', text: d.command_center }) : null),
    el('h1', { text: t('stpl.title') }),
    el('p', { class: 'no', text: `${t('stpl.number')} STPL/${d.ticket}` }),
    el('div', { class: 'body' },
      el('div', { class: 'facts-col' },
        el('p', { text: t('stpl.intro', { when: fmtTime(d.received_at) }) }),
        el('dl', { class: 'facts' },
          ...row('stpl.ticket', d.ticket, 'mono'),
          ...row('stpl.token', d.token || t('stpl.token_unknown'), d.token ? 'mono' : ''),
          ...row('stpl.received', fmtTime(d.received_at)),
          ...row('stpl.channel', t(`stpl.ch.${d.channel}`)),
          ...row('stpl.category', t(`cat.${d.category}`)),
          ...row('stpl.regency', d.regency),
          ...(report ? [...row('stpl.reporter', [report.reporter_name, report.reporter_phone].filter(Boolean).join(' · ')),
            ...row('stpl.address', report.address)] : []))),
      el('figure', { class: 'qr-box' }, qrSvg(d.qr, t('stpl.qr')),
        el('figcaption', { text: t('stpl.qr') }))),
    el('h2', { text: t('stpl.what') }),
    el('p', { class: 'what', text: report ? report.description : t('stpl.what_none') }),
    el('h2', { text: t('stpl.next') }),
    el('ol', { class: 'next' }, ...d.next_steps.map((s) => el('li', { 'data-step': s.step },
      t(`stpl.next.${s.step}`, { within: within(s.within_ms) })))),
    el('p', { class: 'track' }, t('stpl.track'), ' ', el('span', { class: 'mono link', text: d.tracking_link })),
    d.category === 'crime' ? el('p', { class: 'emergency', text: t('stpl.110') }) : null,
    el('div', { class: 'sign' },
      el('p', { text: t('stpl.received_by') }),
      el('p', { class: 'name', text: receivedBy }),
      officer && officer.nrp ? el('p', { text: `NRP ${officer.nrp}` }) : null),
    el('footer', { text: t('stpl.printed', { when: fmtTime(new Date().toISOString()) }) })].filter(Boolean));
  box.hidden = false;
}
