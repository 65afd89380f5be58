// KvIP record audit during a visit: works on the team's tablet without a network.
//
// The page stores itself (and its assets) with the app's service worker, like visit mode, so it
// opens offline. "Save" puts the grid's answers into an outbox in localStorage with a random
// id and sends the outbox in order whenever the tablet is online; an entry leaves it only when
// the server answered (saved, or refused for good). Saving the same answers twice is harmless.
// Records are only numbers ("Journal 1…N"); nothing here identifies a patient.

const root = document.querySelector('[data-records]');
const cfg = JSON.parse(root.dataset.config);
const form = root.querySelector('[data-records-form]');
const statusEl = root.querySelector('[data-records-status]');
const KEY = `kvip-records-outbox:${cfg.pageUrl}`;
let sending = false;
let refused = '';

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
  let text = n ? root.dataset.waiting.replace('{n}', String(n)) : '';
  if (refused) text = `${root.dataset.refused} ${refused} ${text}`.trim();
  statusEl.textContent = text;
}

function newId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function csrfToken() {
  const field = form.querySelector('input[name="csrf_token"]');
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : field ? field.value : '';
}

function entriesOf() {
  const entries = [];
  form.querySelectorAll('select[name^="r-"]').forEach((select) => {
    const [, criterion, record] = select.name.match(/^r-(.+)-(\d+)$/) || [];
    if (criterion) entries.push({ criterion, record: Number(record), value: select.value });
  });
  return entries;
}

// Answers still waiting on the tablet win over the (possibly stored, older) page.
function applyPending() {
  for (const item of outbox()) {
    for (const e of item.entries) {
      const select = form.elements[`r-${e.criterion}-${e.record}`];
      if (select) select.value = e.value;
    }
  }
}

async function flush() {
  if (sending || !navigator.onLine) return;
  sending = true;
  let sent = 0;
  try {
    for (;;) {
      const items = outbox();
      if (items.length === 0) break;
      const item = items[0];
      let response;
      try {
        response = await fetch(cfg.pageUrl, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
          body: JSON.stringify({ op_id: item.op_id, entries: item.entries }),
        });
      } catch {
        break; // offline: try again later
      }
      if (response.status >= 500 || response.status === 429 || response.status === 401
          || response.status === 400 || response.redirected) {
        break; // the server cannot take it now (or the session ended): keep it
      }
      if (!response.ok) {
        try {
          refused = (await response.json()).error.message;
        } catch {
          refused = String(response.status);
        }
      }
      save(outbox().filter((e) => e.op_id !== item.op_id));
      sent += 1;
    }
  } finally {
    sending = false;
    showStatus();
    if (sent && !outbox().length && !refused) {
      statusEl.textContent = root.dataset.sent;
    }
  }
}

async function storeForOffline() {
  if (!('serviceWorker' in navigator) || !('caches' in window) || !navigator.onLine) return;
  try {
    await navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope });
    await navigator.serviceWorker.ready;
    const assets = await caches.open(cfg.assetsCache);
    await assets.addAll(cfg.assets);
    const pages = await caches.open(cfg.pagesCache);
    await pages.add(cfg.pageUrl);
    root.dataset.stored = 'true';
  } catch {
    /* not stored: the page still works online */
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const items = outbox();
  items.push({ op_id: newId(), entries: entriesOf() });
  refused = '';
  save(items);
  flush();
});

window.addEventListener('online', flush);
setInterval(flush, 15000);
applyPending();
showStatus();
flush();
storeForOffline();
