// The hash-chain check (auditor, tik_admin): the result as a readable alert (ok or broken).
import { t, tn, errText } from './i18n.js';
import { api } from './util.js';

export function integrityButton(button, out) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const r = await api('/api/v1/integrity');
    button.disabled = false;
    out.hidden = false;
    if (!r.ok) { out.textContent = errText(r.data, r.status); out.className = 'alert danger'; return; }
    const events = r.data.chains.reduce((n, c) => n + c.events, 0);
    out.textContent = r.data.ok ? `${t('ad.int_ok')} ${tn('ad.int_events', events)}.`
      : `${t('ad.int_bad')} ${r.data.chains.filter((c) => !c.ok).map((c) => `${c.origin}: ${c.problem}`).join('; ')}`;
    out.className = r.data.ok ? 'alert ok' : 'alert danger';
  });
}
