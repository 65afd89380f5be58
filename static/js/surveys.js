// KvIP surveys: the print button of the code sheet, and the kiosk exit page's warning about
// answers still waiting on the tablet (see surveys-kiosk.js for the outbox).

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
