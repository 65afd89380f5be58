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
let sending = false;

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

async function flush() {
  if (sending || !navigator.onLine) return;
  sending = true;
  try {
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
  } finally {
    sending = false;
    showStatus();
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

window.addEventListener('online', flush);
setInterval(flush, 15000);
showStatus();
flush();
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.ready.then(keepForOffline);
} else {
  keepForOffline();
}
