// KvIP home page: for each upcoming visit, whether this tablet has it prepared for visit mode
// (the visit pack saved with prepared_at in IndexedDB by static/js/visits-store.js).
import { getPack } from './visits-store.js';

const strings = JSON.parse(document.getElementById('home-prep-strings')?.textContent || '{}');

async function show(node) {
  const state = node.querySelector('[data-prep-state]');
  const visitId = Number(node.dataset.prep);
  try {
    const record = await getPack(visitId);
    const prepared = Boolean(record && record.prepared_at);
    state.textContent = prepared ? strings.yes : strings.no;
    node.classList.toggle('is-prepared', prepared);
    node.classList.toggle('is-not-prepared', !prepared);
  } catch {
    state.textContent = strings.unknown;
  }
}

for (const node of document.querySelectorAll('[data-prep]')) show(node);
