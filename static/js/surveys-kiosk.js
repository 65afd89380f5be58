// KvIP kiosk mode: one respondent after another on the unit's tablet, online or not.
//
// Each sent questionnaire goes into an outbox in localStorage with a random submission id and
// the form is reset at once for the next person. The outbox is sent in order whenever the
// tablet is online; an entry leaves it only when the server has answered it (stored now, or
// already stored: the id makes a replay harmless). Nothing is kept about who answered.

const KEY = 'kvip-kiosk-outbox';
const FNR = /(^|\D)\d{6}[\s.]?\d{5}(?!\d)/;

const root = document.querySelector('[data-kiosk]');
const statusEl = root.querySelector('[data-kiosk-status]');

function outbox() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || '[]');
  } catch {
    return [];
  }
}

function save(entries) {
  localStorage.setItem(KEY, JSON.stringify(entries));
  showStatus();
}

function showStatus() {
  const n = outbox().length;
  if (n === 0) {
    statusEl.textContent = '';
  } else if (n === 1) {
    statusEl.textContent = root.dataset.waitingOne;
  } else {
    statusEl.textContent = root.dataset.waitingMany.replace('{n}', String(n));
  }
}

function submissionId() {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

let flushing = null;

// Send the outbox in order; one run at a time (a second caller waits for the running one).
function flush() {
  if (!flushing) {
    flushing = sendAll().finally(() => {
      flushing = null;
      showStatus();
    });
  }
  return flushing;
}

async function sendAll() {
  if (!navigator.onLine) return;
  for (;;) {
    const entries = outbox();
    if (entries.length === 0) break;
    const entry = entries[0];
    let response;
    try {
      response = await fetch(root.dataset.submitUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
        body: JSON.stringify(entry),
      });
    } catch {
      break; // offline: try again later
    }
    if (response.status >= 500 || response.status === 429 || response.status === 403) {
      break; // the server cannot take it now (or kiosk mode ended): keep it
    }
    // Stored (201), already stored (200) or refused for good (4xx): it leaves the outbox.
    save(outbox().filter((e) => e.submission_id !== entry.submission_id));
  }
}

function show(name) {
  root.querySelectorAll('[data-kiosk-screen]').forEach((el) => {
    el.hidden = el.dataset.kioskScreen !== name;
  });
  const heading = root.querySelector(`[data-kiosk-screen="${name}"] h1`);
  if (heading) heading.focus();
}

function reset() {
  root.querySelectorAll('form[data-kiosk-form]').forEach((form) => {
    form.reset();
    const box = form.querySelector('[data-kiosk-error]');
    box.hidden = true;
    box.textContent = '';
    form.querySelectorAll('.has-error').forEach((el) => el.classList.remove('has-error'));
    form.querySelectorAll('textarea[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    form.querySelectorAll('p.error[id$="-err"]').forEach((el) => { el.hidden = true; el.textContent = ''; });
  });
  show('choose');
  window.scrollTo(0, 0);
}

function answersOf(form) {
  const answers = {};
  new FormData(form).forEach((value, name) => {
    if (!name.startsWith('q-')) return;
    const text = String(value);
    if (form.elements[name] instanceof HTMLTextAreaElement && !text.trim()) return;
    answers[name.slice(2)] = text;
  });
  return answers;
}

function refuse(form, message, field) {
  const box = form.querySelector('[data-kiosk-error]');
  box.textContent = message;
  box.hidden = false;
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.closest('.field').classList.add('has-error');
    const err = document.getElementById(`${field.id}-err`);
    if (err) { err.textContent = message; err.hidden = false; }
    field.focus();
  } else {
    box.setAttribute('tabindex', '-1');
    box.focus();
  }
}

root.querySelectorAll('[data-kiosk-choose]').forEach((button) => {
  button.addEventListener('click', () => show(button.dataset.kioskChoose));
});
root.querySelectorAll('[data-kiosk-cancel], [data-kiosk-next]').forEach((button) => {
  button.addEventListener('click', reset);
});
root.querySelectorAll('form[data-kiosk-form]').forEach((form) => {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const area of form.querySelectorAll('textarea[data-free-text]')) {
      if (FNR.test(area.value)) {
        refuse(form, root.dataset.fnrMessage, area);
        return;
      }
    }
    const answers = answersOf(form);
    if (Object.keys(answers).length === 0) {
      refuse(form, root.dataset.missingMessage, null);
      return;
    }
    const entries = outbox();
    entries.push({
      kiosk: Number(root.dataset.kioskId),
      instrument: form.dataset.kioskForm, submission_id: submissionId(), answers });
    save(entries);
    reset();
    show('thanks');
    flush();
  });
});

// Leaving kiosk mode. Online, the server checks the password (kiosk_exit), after the outbox
// has been sent. Offline, the tablet checks it against the key it derived from the password
// when kiosk mode started (static/js/surveys.js: salt and the key's SHA-256 in sessionStorage,
// never the password). A wrong password never leaves. Left offline, the tablet shows only
// "ended", keeps its outbox, and once online sends it, then closes the kiosk session on the
// server with the derived key (kiosk_close). Keep ITERATIONS and derive() in step with
// surveys.js.
const VERIFIER = 'kvip-kiosk-verifier';
const PROOF = 'kvip-kiosk-proof';
const LEFT = 'kvip-kiosk-left';
const kioskId = Number(root.dataset.kioskId);
const exitLink = root.querySelector('[data-kiosk-exit-link]');
const leaveForm = root.querySelector('form[data-kiosk-leave]');
const leaveError = leaveForm.querySelector('[data-leave-error]');
const leavePassword = leaveForm.elements.password;

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

function unhex(text) {
  return new Uint8Array((text.match(/../g) || []).map((h) => parseInt(h, 16)));
}

async function derive(password, salt, iterations) {
  const key = await crypto.subtle.importKey(
    'raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

function stored(name) {
  try {
    return JSON.parse(sessionStorage.getItem(name) || 'null');
  } catch {
    return null;
  }
}

// The verifier made when this kiosk started belongs to it from now on.
const verifier = stored(VERIFIER);
if (verifier && verifier.kiosk === null) {
  verifier.kiosk = kioskId;
  sessionStorage.setItem(VERIFIER, JSON.stringify(verifier));
}

function ourVerifier() {
  const v = stored(VERIFIER);
  return v && v.kiosk === kioskId && /^[0-9a-f]{32,}$/.test(v.salt) && v.iterations > 0 ? v : null;
}

function leaveRefused(message) {
  leaveError.textContent = message;
  leaveError.hidden = false;
  leavePassword.setAttribute('aria-invalid', 'true');
  leavePassword.setAttribute('aria-describedby', leaveError.id);
  leavePassword.value = '';
  leavePassword.focus();
}

function clearLeave() {
  leaveError.hidden = true;
  leaveError.textContent = '';
  leavePassword.removeAttribute('aria-invalid');
  leavePassword.removeAttribute('aria-describedby');
  leavePassword.value = '';
}

function showLeft() {
  exitLink.hidden = true;
  root.dataset.kioskLeft = 'waiting';
  show('left');
}

async function closeWhenOnline() {
  if (localStorage.getItem(LEFT) !== String(kioskId) || !navigator.onLine) return;
  await flush();
  if (outbox().length > 0) return; // not all sent yet: the next try closes
  const proof = stored(PROOF);
  const screen = root.querySelector('[data-kiosk-screen="left"]');
  screen.querySelector('[data-left-waiting]').hidden = true;
  if (!proof || proof.kiosk !== kioskId) {
    screen.querySelector('[data-left-sign-in]').hidden = false;
    return;
  }
  let response;
  try {
    response = await fetch(root.dataset.closeUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
      body: JSON.stringify({ proof: proof.key }),
    });
  } catch {
    screen.querySelector('[data-left-waiting]').hidden = false;
    return;
  }
  if (response.status >= 500 || response.status === 429) {
    screen.querySelector('[data-left-waiting]').hidden = false;
    return;
  }
  if (!response.ok) {
    screen.querySelector('[data-left-sign-in]').hidden = false;
    return;
  }
  localStorage.removeItem(LEFT);
  sessionStorage.removeItem(PROOF);
  sessionStorage.removeItem(VERIFIER);
  if ('caches' in window) {
    const pageUrl = new URL(window.location.pathname, window.location.href).href;
    caches.open('kvip-pages').then((cache) => cache.delete(pageUrl)).catch(() => {});
  }
  screen.querySelector('[data-left-done]').hidden = false;
  root.dataset.kioskLeft = 'closed';
}

exitLink.querySelector('a').addEventListener('click', async (event) => {
  event.preventDefault();
  if (navigator.onLine) {
    const { href } = event.currentTarget;
    await flush(); // answers waiting go first; the exit page warns about any left
    window.location.assign(href);
    return;
  }
  clearLeave();
  show('leave');
});

leaveForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const password = leavePassword.value;
  if (!password) {
    leaveRefused(root.dataset.noPassword);
    return;
  }
  const v = ourVerifier();
  if (!v || !(window.crypto && crypto.subtle)) {
    leaveRefused(root.dataset.cannotCheck);
    return;
  }
  const button = leaveForm.querySelector('button[type="submit"]');
  button.disabled = true;
  let key;
  try {
    key = await derive(password, unhex(v.salt), v.iterations);
  } finally {
    button.disabled = false;
  }
  if (hex(await crypto.subtle.digest('SHA-256', key)) !== v.check) {
    leaveRefused(root.dataset.wrongPassword);
    return;
  }
  clearLeave();
  sessionStorage.setItem(PROOF, JSON.stringify({ kiosk: kioskId, key: hex(key) }));
  localStorage.setItem(LEFT, String(kioskId));
  showLeft();
  closeWhenOnline();
});

leaveForm.querySelector('[data-kiosk-cancel]').addEventListener('click', clearLeave);

// Offline reloads: the site's service worker (static/js/visits-sw.js) answers a navigation
// from its pages cache when the network is gone, and static files from its assets cache. The
// kiosk stores its own page and files there, so a reload without the network still shows it.
async function keepForOffline() {
  if (!('caches' in window) || !navigator.onLine) return;
  try {
    const pageUrl = new URL(window.location.pathname, window.location.href).href;
    const response = await fetch(pageUrl, { credentials: 'same-origin', cache: 'no-cache' });
    if (!response.ok || response.redirected) return;
    await (await caches.open('kvip-pages')).put(pageUrl, response);
    const files = [...document.querySelectorAll('link[rel="stylesheet"][href], script[src]')]
      .map((el) => el.href || el.src);
    for (const name of (await caches.keys()).filter((n) => n.startsWith('kvip-assets-'))) {
      const cache = await caches.open(name);
      for (const file of files) {
        if (await cache.match(file, { ignoreSearch: true })) continue;
        const copy = await fetch(file, { credentials: 'same-origin' });
        if (copy.ok) await cache.put(file, copy);
      }
    }
    root.dataset.kioskStored = navigator.serviceWorker && navigator.serviceWorker.controller ? 'controlled' : 'stored';
  } catch {
    /* storage refused or the network went away meanwhile: the next page load tries again */
  }
}

window.addEventListener('online', () => { flush(); closeWhenOnline(); });
setInterval(() => { flush(); closeWhenOnline(); }, 15000);
showStatus();
if (localStorage.getItem(LEFT) === String(kioskId)) showLeft();
flush();
closeWhenOnline();
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.ready.then(keepForOffline);
} else {
  keepForOffline();
}
