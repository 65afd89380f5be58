// KvIP service worker (served as /visits/sw.js with scope /, see kvip/visits/views_mode.py,
// which puts self.KVIP_OFFLINE in front of this file: the cache version, the asset list and the
// offline page's texts in nb and en).
//
// - Every app page (navigation) goes to the network first. A page stored when a visit was
//   prepared (visit mode, visit overview, visit list) is answered from the tablet when the
//   network is gone or hangs; any other page gets the KvIP offline page, which says what is
//   stored on this tablet and what is not. A form sent without a network gets it too.
// - The assets of the visit screens are stored at install in a cache named after their
//   version, so a deploy replaces them; the stored pages survive a deploy.
// Visit data is not kept here: the pages keep the visit pack and the outbox in IndexedDB.
const OFFLINE = self.KVIP_OFFLINE;
const ASSETS = OFFLINE.assetsCache;
const PAGES = OFFLINE.pagesCache;
const META = 'kvip-meta';
const NAVIGATION_TIMEOUT_MS = 6000;

async function precache() {
  await Promise.all(
    OFFLINE.assets.map(async (url) => {
      try {
        const response = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
        // Opened per file: a worker still activating may have removed a cache opened earlier.
        if (response.ok) await (await caches.open(ASSETS)).put(url, response);
      } catch (err) {
        /* offline while installing: the page's "prepare" stores them later */
      }
    }),
  );
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

// Pages stored by an older worker (cache "kvip-visits-v1") move to the pages cache.
async function migrateLegacy(name) {
  const old = await caches.open(name);
  const pages = await caches.open(PAGES);
  for (const request of await old.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/static/') || path.endsWith('.webmanifest')) continue;
    const response = await old.match(request);
    if (response) await pages.put(request, response);
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('kvip-visits-')) {
          await migrateLegacy(name);
          await caches.delete(name);
        } else if (name.startsWith('kvip-assets-') && name !== ASSETS) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

// The page tells the worker its language, so the offline page speaks it too.
self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'lang' && (data.lang === 'nb' || data.lang === 'en')) {
    event.waitUntil(
      caches.open(META).then((cache) => cache.put('/__kvip/lang', new Response(data.lang))),
    );
  }
});

async function language() {
  try {
    const stored = await (await caches.open(META)).match('/__kvip/lang');
    const lang = stored ? await stored.text() : 'nb';
    return lang === 'en' ? 'en' : 'nb';
  } catch (err) {
    return 'nb';
  }
}

function timeout(ms) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('timeout')), ms);
  });
}

function cacheKey(url) {
  const key = new URL(url);
  key.search = '';
  key.hash = '';
  return key.href;
}

// --- the offline page ---------------------------------------------------------------------------

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fill(text, vars) {
  let out = text;
  for (const [name, value] of Object.entries(vars)) out = out.split(`{${name}}`).join(value);
  return out;
}

function readVisits() {
  // What visit mode stored: prepared visits and the changes waiting in the outbox.
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open('kvip-visits');
    } catch (err) {
      resolve({ packs: [], outbox: [] });
      return;
    }
    request.onupgradeneeded = () => {
      // Never prepared: create nothing here (visit mode creates the stores).
      request.transaction.abort();
    };
    request.onerror = () => resolve({ packs: [], outbox: [] });
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('packs') || !db.objectStoreNames.contains('outbox')) {
        db.close();
        resolve({ packs: [], outbox: [] });
        return;
      }
      const tx = db.transaction(['packs', 'outbox']);
      const packs = tx.objectStore('packs').getAll();
      const outbox = tx.objectStore('outbox').getAll();
      tx.oncomplete = () => {
        db.close();
        resolve({ packs: packs.result || [], outbox: outbox.result || [] });
      };
      tx.onerror = () => resolve({ packs: [], outbox: [] });
    };
  });
}

function when(iso, lang) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'nb-NO', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

async function offlinePage(request) {
  const lang = await language();
  const T = OFFLINE.strings[lang];
  const url = new URL(request.url);
  const pages = await caches.open(PAGES);
  const { packs, outbox } = await readVisits();
  const stored = [];
  for (const record of packs) {
    const pack = record.pack || {};
    const unit = pack.unit ? pack.unit.name : `#${record.id}`;
    const mode = new URL(OFFLINE.modeUrl.replace('/0/', `/${record.id}/`), url).href;
    const overview = new URL(OFFLINE.overviewUrl.replace('/0', `/${record.id}`), url).href;
    const hasMode = Boolean(await pages.match(mode));
    const hasOverview = Boolean(await pages.match(overview));
    const waiting = outbox.filter((e) => e.visit_id === record.id).length;
    const facts = [];
    if (record.prepared_at) facts.push(fill(esc(T.prepared), { time: esc(when(record.prepared_at, lang)) }));
    else facts.push(esc(T.not_prepared));
    if (waiting === 1) facts.push(esc(T.waiting_one));
    else if (waiting > 1) facts.push(fill(esc(T.waiting_many), { n: String(waiting) }));
    const title = fill(esc(T.visit_to), { unit: esc(unit) });
    const links = [];
    if (hasMode) links.push(`<a class="btn primary small" href="${esc(mode)}">${esc(T.open_mode)}</a>`);
    if (hasOverview) links.push(`<a class="btn small" href="${esc(overview)}">${esc(T.open_overview)}</a>`);
    stored.push(
      `<li><strong>${title}</strong><br><span class="muted">${facts.join(' · ')}</span>` +
        (links.length ? `<br>${links.join(' ')}` : '') +
        '</li>',
    );
  }
  const listUrl = new URL(OFFLINE.indexUrl, url).href;
  const hasList = Boolean(await pages.match(listUrl));
  const sent = request.method !== 'GET';
  const visitMatch = url.pathname.match(/\/visits\/(\d+)(?:\/|$)/);
  const unprepared =
    visitMatch && !packs.some((r) => String(r.id) === visitMatch[1]) ? `<p>${esc(T.visit_not_stored)}</p>` : '';
  const body =
    `<h1>${esc(T.title)}</h1>` +
    `<p class="flash flash-warning">${esc(sent ? T.not_sent : T.page_not_stored)}</p>` +
    unprepared +
    `<h2>${esc(T.stored_title)}</h2>` +
    (stored.length ? `<ul class="plain offline-list">${stored.join('')}</ul>` : `<p>${esc(T.nothing_stored)}</p>`) +
    (hasList ? `<p><a href="${esc(listUrl)}">${esc(T.open_list)}</a></p>` : '') +
    `<h2>${esc(T.not_stored_title)}</h2><p>${esc(T.not_stored)}</p>` +
    `<p><a class="btn" href="${esc(sent ? request.referrer || listUrl : url.href)}">${esc(T.try_again)}</a></p>`;
  const html =
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${esc(T.title)} · KvIP</title>` +
    `<link rel="stylesheet" href="${esc(OFFLINE.css)}"></head><body class="offline-page">` +
    `<header class="site-header" role="banner"><div class="bar"><span class="brand">KvIP</span></div></header>` +
    `<main id="main">${body}</main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

// --- pages and assets ---------------------------------------------------------------------------

// Pages: the network first (fresh data and a fresh CSRF token). A stored page is refreshed
// whenever the network answers, and answers when the network is gone or hangs.
async function page(request) {
  const cache = await caches.open(PAGES);
  const key = cacheKey(request.url);
  const cached = await cache.match(key);
  try {
    // Only a page with a stored copy gives up on a hanging network; others simply wait.
    const response = cached
      ? await Promise.race([fetch(request), timeout(NAVIGATION_TIMEOUT_MS)])
      : await fetch(request);
    if (cached && response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(key, response.clone());
    }
    return response;
  } catch (err) {
    return cached || offlinePage(request);
  }
}

async function sent(request) {
  try {
    return await fetch(request);
  } catch (err) {
    return offlinePage(request);
  }
}

async function asset(request) {
  const cached = await caches.match(request, { ignoreSearch: true, cacheName: ASSETS });
  return cached || fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(request.method === 'GET' ? page(request) : sent(request));
    return;
  }
  if (request.method !== 'GET') return;
  if (url.pathname.startsWith('/static/') || url.pathname.endsWith('/manifest.webmanifest')) {
    event.respondWith(asset(request));
  }
});
