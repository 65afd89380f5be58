// KvIP visit mode service worker (served as /visits/sw.js, scope /visits/).
//
// Keeps the prepared visit pages and the app's assets in Cache Storage so a visit page opens
// with the network gone. Visit data is not cached here: the page keeps the visit pack and its
// outbox in IndexedDB and sends the changes itself.
const CACHE = 'kvip-visits-v1';
const NAVIGATION_TIMEOUT_MS = 6000;

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith('kvip-visits-') && n !== CACHE).map((n) => caches.delete(n)),
      );
      await self.clients.claim();
    })(),
  );
});

function timeout(ms) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('timeout')), ms);
  });
}

function offlinePage() {
  const html =
    '<!doctype html><html lang="nb"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Frakoblet · Offline – KvIP</title></head><body style="font-family: sans-serif; padding: 1rem">' +
    '<h1>Frakoblet</h1><p>Denne siden er ikke lagret på nettbrettet. ' +
    'Koble til nettet og åpne besøket igjen.</p>' +
    '<h2 lang="en">Offline</h2><p lang="en">This page is not stored on this tablet. ' +
    'Connect to the network and open the visit again.</p></body></html>';
  return new Response(html, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  });
}

function cacheKey(url) {
  const key = new URL(url);
  key.search = '';
  key.hash = '';
  return key.href;
}

// Pages: the network first (fresh data and a fresh CSRF token); the stored copy when the
// network is gone or hangs. A stored page is refreshed whenever the network answers.
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([fetch(request), timeout(NAVIGATION_TIMEOUT_MS)]);
    if (response.ok && !response.redirected && (await cache.match(cacheKey(request.url)))) {
      await cache.put(cacheKey(request.url), response.clone());
    }
    return response;
  } catch (err) {
    const cached = await cache.match(cacheKey(request.url));
    return cached || offlinePage();
  }
}

// Assets that were stored when preparing: the stored copy at once, refreshed in the background.
async function asset(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request, { ignoreSearch: true });
  if (!cached) return fetch(event.request);
  event.waitUntil(
    fetch(event.request)
      .then((response) => (response.ok ? cache.put(event.request, response) : undefined))
      .catch(() => undefined),
  );
  return cached;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
    return;
  }
  if (url.pathname.startsWith('/static/') || url.pathname.endsWith('/manifest.webmanifest')) {
    event.respondWith(asset(event));
  }
});
