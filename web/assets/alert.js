// The crime alert: a short tone (Web Audio, no file) once the person turned sound on — browsers
// allow audio only after a user gesture — and a flashing banner.
import { t } from './i18n.js';
import { el } from './util.js';

let audio = null;

/** Wires the header's sound toggle. */
export function soundToggle(button) {
  const show = () => {
    button.textContent = t(audio ? 'snd.on' : 'snd.off');
    button.setAttribute('aria-pressed', String(!!audio));
    button.classList.toggle('on', !!audio);
  };
  button.addEventListener('click', () => {
    if (audio) { audio.close(); audio = null; } else { audio = new AudioContext(); beep(); }
    show();
  });
  show();
}

function beep() {
  if (!audio) return;
  const now = audio.currentTime;
  for (let i = 0; i < 3; i++) {
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = i % 2 ? 660 : 880;
    g.gain.setValueAtTime(0.0001, now + i * 0.22);
    g.gain.exponentialRampToValueAtTime(0.3, now + i * 0.22 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.22 + 0.18);
    o.connect(g).connect(audio.destination);
    o.start(now + i * 0.22);
    o.stop(now + i * 0.22 + 0.2);
  }
}

/** Sound (when on) and a banner for a new crime report. */
export function crimeAlert(ticket) {
  beep();
  const f = el('div', { class: 'flash', role: 'alert', id: 'crime-alert' }, `${t('alert.crime')}: `, el('a', { href: `#${ticket}`, text: ticket }));
  document.getElementById('crime-alert')?.remove();
  f.addEventListener('click', () => f.remove());
  document.body.append(f);
  setTimeout(() => f.remove(), 8000);
}
