// KvIP visit mode: changes on this tablet made by someone other than the person signed in.
//
// Every queued change carries its author. Changes by another person are held: never sent in
// the signed-in person's name, shown as "N changes by <name> are waiting on this tablet", sent
// when their author signs in here again, or discarded by the signed-in person after confirming.
// Runs on the visit list and in visit mode (wherever #held-config is on the page).
import * as store from './visits-store.js';
import { el, translator } from './visits-dom.js';

const configNode = document.getElementById('held-config');
const cfg = configNode ? JSON.parse(configNode.textContent) : null;
let me = cfg ? cfg.me : null;
let confirming = null; // author id whose discard waits for confirmation

const t = translator(cfg ? cfg.strings : {});

async function attribute(entries) {
  // Entries from before changes carried an author: give them to whoever the pack was fetched for.
  const visits = new Set(entries.filter((e) => e.author_id == null).map((e) => e.visit_id));
  for (const visitId of visits) {
    await store.adoptUnattributed(visitId, { id: null, name: '?' });
  }
  return visits.size ? store.allEntries() : entries;
}

function groupBy(entries, keyOf) {
  const groups = new Map();
  for (const e of entries) {
    const key = keyOf(e);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  return groups;
}

function countText(n, name) {
  return n === 1 ? t('held_one', { name }) : t('held_many', { n, name });
}

function othersBlock(authorId, entries) {
  const name = entries[entries.length - 1].author_name || '?';
  const n = entries.length;
  const item = el('li', { class: 'held-item', 'data-author': String(authorId) });
  item.append(el('p', { class: 'held-count', text: countText(n, name) }));
  item.append(el('p', { class: 'muted', text: t('held_help', { name }) }));
  if (confirming === authorId) {
    item.append(
      el('p', { class: 'held-confirm', role: 'alert', text: t('held_confirm', { n, name }) }),
      el(
        'div',
        { class: 'team-actions' },
        el('button', {
          type: 'button',
          class: 'btn danger',
          text: t('held_confirm_yes'),
          onclick: async () => {
            confirming = null;
            await store.dropAuthor(authorId);
            document.dispatchEvent(new CustomEvent('kvip-held-changed'));
            await refreshHeld(t('held_discarded', { name }));
          },
        }),
        el('button', {
          type: 'button',
          class: 'btn',
          text: t('cancel'),
          onclick: () => {
            confirming = null;
            refreshHeld();
          },
        }),
      ),
    );
  } else {
    item.append(
      el(
        'div',
        { class: 'team-actions' },
        el('button', {
          type: 'button',
          class: 'btn',
          text: t('held_discard', { name }),
          onclick: () => {
            confirming = authorId;
            refreshHeld().then(() => {
              const yes = document.querySelector('#held-changes .held-confirm + .team-actions .btn');
              if (yes) yes.focus();
            });
          },
        }),
      ),
    );
  }
  return item;
}

async function mineBlock(entries) {
  const packs = new Map((await store.allPacks()).map((r) => [r.id, r]));
  const items = [];
  for (const [visitId, rows] of groupBy(entries, (e) => e.visit_id)) {
    const record = packs.get(visitId);
    const unit = record && record.pack && record.pack.unit ? record.pack.unit.name : `#${visitId}`;
    const href = cfg.modeUrl.replace('/0/', `/${visitId}/`);
    items.push(
      el(
        'li',
        { class: 'held-item is-mine' },
        el('p', { text: t(rows.length === 1 ? 'mine_one' : 'mine_many', { n: rows.length, unit }) }),
        el('a', { class: 'btn primary small', href, text: t('open_to_send') }),
      ),
    );
  }
  return items;
}

// Show (or hide) the notice. `note` is a short confirmation to announce after a discard.
export async function refreshHeld(note = '') {
  const box = document.getElementById('held-changes');
  if (!cfg || !box || !me) return;
  let entries;
  try {
    entries = await attribute(await store.allEntries());
  } catch (err) {
    return; // no IndexedDB (private mode): nothing can be waiting
  }
  const onlyVisit = cfg.visitId || null;
  const others = entries.filter((e) => e.author_id !== me.id);
  const items = [];
  for (const [authorId, rows] of groupBy(others, (e) => e.author_id)) {
    items.push(othersBlock(authorId, rows));
  }
  if (!onlyVisit) {
    items.push(...(await mineBlock(entries.filter((e) => e.author_id === me.id))));
  }
  const list = box.querySelector('ul');
  list.replaceChildren(...items);
  const status = box.querySelector('.held-status');
  status.textContent = note;
  box.hidden = items.length === 0 && !note;
  const title = box.querySelector('h2');
  if (title) title.hidden = items.length === 0;
}

// Visit mode learns from the server who is signed in (the page may be older than the session).
export function setMe(person) {
  if (!person || (me && me.id === person.id)) return;
  me = { id: person.id, name: person.name };
  refreshHeld();
}

export function currentMe() {
  return me;
}

if (cfg) {
  refreshHeld();
}
