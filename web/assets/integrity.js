// The hash-chain check (auditor, tik_admin).
import { t } from './i18n.js';
import { api } from './util.js';

export function integrityButton(button, out) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const r = await api('/api/v1/integrity');
    button.disabled = false;
    if (!r.ok) { out.textContent = r.data.message; return; }
    const events = r.data.chains.reduce((n, c) => n + c.events, 0);
    out.textContent = r.data.ok ? `${t('ad.int_ok')} (${events})` : `${t('ad.int_bad')} ${r.data.chains.filter((c) => !c.ok).map((c) => `${c.origin}: ${c.problem}`).join('; ')}`;
    out.className = r.data.ok ? 'up' : 'down';
  });
}
