// KvIP surveys: the print button of the code sheet, the kiosk exit page's warning about
// answers still waiting on the tablet (see surveys-kiosk.js for the outbox), and the offline
// check of the kiosk's leave password, made when kiosk mode starts.

for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}

const pending = document.querySelector('[data-kiosk-pending]');
if (pending) {
  let n = 0;
  try {
    n = JSON.parse(localStorage.getItem('kvip-kiosk-outbox') || '[]').length;
  } catch {
    n = 0;
  }
  if (n > 0) {
    pending.textContent = pending.dataset.message.replace('{n}', String(n));
    pending.hidden = false;
  }
}

// Kiosk mode has ended on this tablet: its stored page must not come back offline.
if (document.querySelector('[data-kiosk-off]') && 'caches' in window) {
  caches.open('kvip-pages').then((cache) => cache.delete(new URL(window.location.pathname, window.location.href).href));
}

// Starting kiosk mode: the staff member types their password (the server checks it). Before
// the form is sent, the tablet derives a key from it (PBKDF2-SHA-256, random salt, many
// iterations) and keeps only the salt and the key's SHA-256 in sessionStorage, so that
// leaving kiosk mode works offline too (surveys-kiosk.js). The password itself is never kept.
// The same SHA-256 goes to the server with the form: with the key, the tablet can close the
// kiosk session once it is online again. Keep ITERATIONS and derive() in step with
// surveys-kiosk.js.
const VERIFIER = 'kvip-kiosk-verifier';
const PROOF = 'kvip-kiosk-proof';
const ITERATIONS = 600000;

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function derive(password, salt, iterations) {
  const key = await crypto.subtle.importKey(
    'raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

const startForm = document.querySelector('form[data-kiosk-start]');
if (startForm) {
  // A verifier of an earlier start (refused, or ended) is of no use any more.
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(PROOF);
  let derived = false;
  startForm.addEventListener('submit', async (event) => {
    if (derived) return;
    event.preventDefault();
    const password = startForm.elements.password.value;
    const check = startForm.querySelector('[data-exit-check]');
    check.value = '';
    const button = startForm.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      if (password && window.crypto && crypto.subtle) {
        const salt = crypto.getRandomValues(new Uint8Array(16));
        const key = await derive(password, salt, ITERATIONS);
        check.value = hex(await crypto.subtle.digest('SHA-256', key));
        sessionStorage.setItem(VERIFIER, JSON.stringify({
          kiosk: null, salt: hex(salt), iterations: ITERATIONS, check: check.value }));
      }
    } catch {
      // No WebCrypto (or storage refused): kiosk mode starts; leaving it needs the network.
      check.value = '';
      sessionStorage.removeItem(VERIFIER);
    }
    derived = true;
    button.disabled = false;
    startForm.requestSubmit(button);
  });
}

// Kiosk mode has ended: nothing of its offline check stays on the tablet.
if (document.querySelector('[data-kiosk-off]')) {
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(PROOF);
  localStorage.removeItem('kvip-kiosk-left');
}
