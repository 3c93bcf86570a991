// The crime alert: a banner listing the new crime reports nobody has opened yet, and a short tone
// (Web Audio, no file) repeated every 30 s while any is unopened. The sound choice is kept in
// localStorage; browsers allow audio only after a user gesture, so a remembered "on" starts
// sounding from the first click or key press on the page.
import { t } from './i18n.js';
import { el } from './util.js';

const KEY = 'banpol.sound';
const EVERY_MS = 30_000;
let audio = null;
let unread = [];
let rings = 0; // tones played for unopened reports (the banner shows the count for tests)
let timer = 0;

const remembered = () => { try { return localStorage.getItem(KEY) === 'on'; } catch { return false; } };
function remember(on) { try { localStorage.setItem(KEY, on ? 'on' : 'off'); } catch { /* private mode */ } }

function start() {
  audio = new AudioContext();
  if (audio.state === 'suspended') {
    // no gesture yet (a remembered choice after a reload): resume on the first one
    const resume = () => { audio?.resume(); };
    for (const e of ['pointerdown', 'keydown']) document.addEventListener(e, resume, { once: true, capture: true });
  }
}

/** Wires the header's sound toggle; the choice is remembered. */
export function soundToggle(button) {
  const show = () => {
    button.textContent = t(audio ? 'snd.on' : 'snd.off');
    button.setAttribute('aria-pressed', String(!!audio));
    button.title = t('snd.rings');
    button.classList.toggle('on', !!audio);
  };
  button.addEventListener('click', () => {
    if (audio) { audio.close(); audio = null; } else { start(); beep(); }
    remember(!!audio);
    show();
  });
  if (remembered()) start();
  show();
}

function beep() {
  if (!audio) return;
  if (audio.state === 'suspended') audio.resume();
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

function ring() {
  if (!unread.length || !audio) return;
  rings += 1;
  beep();
  const b = document.getElementById('crime-alert');
  if (b) b.dataset.rings = String(rings);
}

/** The crime reports not opened yet, newest last: the banner (in `slot`, in the page's flow, so it
 * covers nothing) and the repeating tone follow this list. `fresh`: one just arrived, ring now. */
export function crimeAlert(slot, tickets, fresh = false) {
  unread = [...tickets];
  const old = document.getElementById('crime-alert');
  if (!unread.length) {
    old?.remove();
    clearInterval(timer);
    timer = 0;
    return;
  }
  const links = unread.slice(-5).reverse().flatMap((tk, i) => [i ? ', ' : '', el('a', { href: `#${tk}`, text: tk })]);
  const banner = el('div', { class: `crime-alert${fresh || old?.classList.contains('blink') ? ' blink' : ''}`, role: 'alert', id: 'crime-alert' },
    el('b', { text: `${t('alert.unread')} (${unread.length}): ` }), ...links);
  banner.dataset.rings = String(rings);
  if (old) old.replaceWith(banner); else slot.append(banner);
  if (fresh) ring();
  if (!timer) timer = setInterval(ring, EVERY_MS);
}
