// Countdowns to a case's next deadline: amber when little time is left, red once it has passed.
import { t } from './i18n.js';
import { el, fmtDur } from './util.js';

/** A countdown element for a deadline (`due`: RFC 3339); `since`: when the step's clock began. */
export function countdown(due, since) {
  const s = el('span', { class: 'cd', 'data-due': due, 'data-since': since || '' });
  tick(s, Date.now());
  return s;
}

function tick(s, now) {
  const due = Date.parse(s.dataset.due);
  const since = Date.parse(s.dataset.since);
  const left = due - now;
  const window = Number.isNaN(since) ? 0 : due - since;
  const amber = left > 0 && left <= Math.max(60_000, window * 0.25);
  s.classList.toggle('red', left <= 0);
  s.classList.toggle('amber', amber);
  s.textContent = left > 0 ? `${fmtDur(left)} ${t('q.left')}` : `${fmtDur(left)} ${t('q.late')}`;
}

setInterval(() => {
  const now = Date.now();
  for (const s of document.querySelectorAll('.cd[data-due]')) tick(s, now);
}, 1000);
