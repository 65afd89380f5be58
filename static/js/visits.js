// KvIP visit mode: record the team's findings, observations and verifications of the unit's
// previous actions on a tablet, offline first.
//
// The page is a shell; everything about the standards comes from the visit pack, kept in
// IndexedDB (visits-store.js). Every change goes to the outbox first and is sent from there:
// at once when online, on the browser's "online" event, and every 15 s while changes wait.
// Each change carries its author: only the signed-in person's changes are shown and sent;
// someone else's are held (visits-held.js). Typing not yet saved is kept in localStorage at
// once and put in the outbox when the page is hidden or left.
import * as store from './visits-store.js';
import * as held from './visits-held.js';
import { el, translator } from './visits-dom.js';

const cfg = JSON.parse(document.getElementById('visit-config').textContent);
const T = JSON.parse(document.getElementById('visit-strings').textContent);
const VISIT = cfg.visitId;
const VALUES = ['met', 'partly_met', 'not_met', 'not_applicable'];
const KINDS = ['good_practice', 'improvement', 'recommendation'];
const RETRY_MS = 15000;
const REFRESH_MS = 60000;
const SEND_TIMEOUT_MS = 15000;

const state = {
  me: cfg.user, // the signed-in person ({id, name}); the visit pack tells if it changed
  record: null, // {id, pack, saved_at, prepared_at, verifications, acked}
  pack: null,
  outbox: [],
  view: null, // 'pack' or a domain code
  reachable: navigator.onLine,
  draining: false,
  authLost: false,
  lastSent: null,
  lastRefresh: 0,
  index: new Map(), // standard code → {std, domain}
  cards: new Map(), // standard code → elements of its card
  editing: null, // observation being edited: {key, version}
  obsOpener: null, // the standard's "Add observation" button that opened the form
  conflict: null, // {group, key, server}
  statuses: {}, // action status → label (verifications)
};

const $ = (id) => document.getElementById(id);
const ui = {
  net: $('net-state'),
  queue: $('queue-state'),
  sendNow: $('send-now'),
  prep: $('prep-state'),
  prepare: $('prepare'),
  signin: $('signin-banner'),
  problems: $('problems'),
  problemList: $('problem-list'),
  tabs: $('domain-tabs'),
  packPanel: $('pack-panel'),
  domainPanel: $('domain-panel'),
  loading: $('visit-loading'),
  dialog: $('conflict-dialog'),
};

const t = translator(T);

function timeOf(iso) {
  if (!iso) return '';
  const d = new Date(iso.endsWith('Z') || iso.includes('+') ? iso : `${iso}Z`);
  return d.toLocaleString(cfg.lang === 'en' ? 'en-GB' : 'nb-NO', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

// --- effective state: the pack with the outbox on top -------------------------------------------

// The signed-in person's changes; anyone else's are held, neither shown nor sent.
function mine() {
  return state.outbox.filter((e) => e.author_id === state.me.id);
}

function chain(group, key) {
  return mine().filter((e) => e.group === group && e.key === key);
}

function chainStatus(entries) {
  if (entries.some((e) => e.status === 'conflict')) return 'conflict';
  if (entries.some((e) => e.status === 'rejected')) return 'rejected';
  return entries.length ? 'waiting' : 'saved';
}

function findingOf(std) {
  const entries = chain('f', std.code);
  const last = entries[entries.length - 1];
  return {
    value: last ? last.body.value : std.finding.value,
    comment: last ? last.body.comment || '' : std.finding.comment || '',
    status: chainStatus(entries),
    server: std.finding,
  };
}

function observations() {
  const map = new Map();
  for (const o of state.pack.observations) map.set(o.key, { ...o, status: 'saved' });
  const keys = new Set(mine().filter((e) => e.group === 'o').map((e) => e.key));
  for (const key of keys) {
    const entries = chain('o', key);
    const last = entries[entries.length - 1];
    const current = map.get(key) || { key, version: 0, created_by: null };
    if (last.type === 'observation_delete') {
      map.set(key, { ...current, deleted: true, status: chainStatus(entries) });
    } else {
      map.set(key, { ...current, ...last.body, deleted: false, status: chainStatus(entries) });
    }
  }
  return [...map.values()];
}

function indexPack() {
  state.index.clear();
  for (const domain of state.pack.domains) {
    for (const std of domain.standards) state.index.set(std.code, { std, domain });
  }
}

function progressOf(domain) {
  let done = 0;
  for (const std of domain.standards) if (findingOf(std).value) done += 1;
  return { done, total: domain.standards.length };
}

// --- status bar ---------------------------------------------------------------------------------

function updateStatus() {
  const online = navigator.onLine && state.reachable;
  ui.net.textContent = online ? t('online') : t('offline');
  ui.net.className = `net-state ${online ? 'is-online' : 'is-offline'}`;
  const waiting = mine().length;
  let text;
  if (state.draining && waiting) text = t('sending');
  else if (waiting === 1) text = t('pending_one');
  else if (waiting > 1) text = t('pending_many', { n: waiting });
  else text = t('all_sent');
  if (!waiting && state.lastSent) text += ` · ${t('last_sync', { time: timeOf(state.lastSent) })}`;
  ui.queue.textContent = text;
  ui.queue.dataset.pending = String(waiting);
  ui.queue.className = waiting ? 'queue-state has-pending' : 'queue-state';
  ui.sendNow.hidden = !(waiting && online && !state.authLost);
  ui.signin.hidden = !state.authLost;
  updatePrepared();
  renderProblems();
}

function updatePrepared() {
  if (state.record && state.record.prepared_at) {
    ui.prep.textContent = t('prepared', { time: timeOf(state.record.prepared_at) });
    ui.prep.className = 'prep-state is-prepared';
    markStep('prepare');
  } else {
    ui.prep.textContent = t('not_prepared');
    ui.prep.className = 'prep-state';
  }
}

// The step indicator (templates/visits/_state.html): only this tablet knows it is prepared.
function markStep(step) {
  const item = document.querySelector(`.visit-steps [data-step="${step}"]`);
  if (item && !item.classList.contains('is-done')) {
    item.classList.add('is-done');
    const done = item.querySelector('[data-step-done]');
    if (done) done.hidden = false;
  }
}

function setReachable(value) {
  if (state.reachable !== value) {
    state.reachable = value;
  }
  updateStatus();
}

// --- changes that need the reviewer: conflicts and refusals -----------------------------------

function describe(group, key) {
  if (group === 'f') return `${t('standard')} ${key}`;
  if (group === 'v') {
    const form = verifyForm(key);
    return `${t('action')}: ${form ? form.dataset.title : key}`;
  }
  const obs = observations().find((o) => o.key === key);
  const kind = obs && obs.kind ? t(`kind_${obs.kind}`) : t('observations');
  const text = obs && obs.text ? obs.text : '';
  return `${kind}: ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}

function renderProblems() {
  const seen = new Set();
  const items = [];
  for (const e of mine()) {
    const id = `${e.group}:${e.key}`;
    if (seen.has(id) || (e.status !== 'conflict' && e.status !== 'rejected')) continue;
    seen.add(id);
    const label = describe(e.group, e.key);
    if (e.status === 'conflict') {
      items.push(
        el(
          'li',
          { class: 'problem is-conflict' },
          el('span', { text: `${label} – ${byMe(e.server) ? t('conflict_self') : t('conflict')}` }),
          el('button', {
            type: 'button',
            class: 'btn primary',
            text: t('resolve'),
            'aria-label': `${t('resolve')}: ${label}`,
            onclick: () => openConflict(e.group, e.key),
          }),
        ),
      );
    } else {
      items.push(
        el(
          'li',
          { class: 'problem is-rejected' },
          el('span', { text: `${label} – ${t('rejected')}: ${e.error || ''}` }),
          el('button', {
            type: 'button',
            class: 'btn',
            text: t('retry'),
            onclick: async () => {
              await store.retryChain(VISIT, e.group, e.key, state.me.id);
              await afterChange();
            },
          }),
          el('button', {
            type: 'button',
            class: 'btn danger',
            text: t('discard'),
            onclick: async () => {
              await store.dropChain(VISIT, e.group, e.key, state.me.id);
              await afterChange(true);
            },
          }),
        ),
      );
    }
  }
  ui.problemList.replaceChildren(...items);
  ui.problems.hidden = items.length === 0;
}

function valueText(value) {
  return value ? t(`value_${value}`) : t('not_rated');
}

function versionBox(title, data, group) {
  const box = el('section', { class: 'version-box' }, el('h3', { text: title }));
  if (group === 'f') {
    box.append(
      el('p', { class: `rating-badge r-${data.value || 'none'}`, text: valueText(data.value) }),
      el('p', { class: 'pre', text: data.comment || t('no_comment') }),
    );
  } else if (group === 'v') {
    if (data.status) box.append(el('p', { class: 'badge', text: state.statuses[data.status] || data.status }));
    box.append(
      el('p', { text: data.outcome ? t(`outcome_${data.outcome}`) : t('not_rated') }),
      el('p', { class: 'pre', text: data.comment || t('no_comment') }),
    );
  } else if (data.deleted || !data.version && data.kind === undefined) {
    box.append(el('p', { text: t('deleted') }));
  } else {
    box.append(
      el('p', { class: 'badge', text: data.kind ? t(`kind_${data.kind}`) : '' }),
      el('p', { class: 'pre', text: data.text || '' }),
    );
  }
  const meta = [];
  const who = data.updated_by || data.verified_by;
  if (who) meta.push(t('by', { name: who.name }));
  if (data.updated_at) meta.push(timeOf(data.updated_at));
  if (data.version !== undefined && data.version !== null) meta.push(t('version_of', { n: data.version }));
  if (meta.length) box.append(el('p', { class: 'muted', text: meta.join(' · ') }));
  return box;
}

function openConflict(group, key) {
  const entries = chain(group, key);
  const conflicted = entries.find((e) => e.status === 'conflict');
  if (!conflicted) return;
  const server = conflicted.server || { version: 0 };
  const mine = entries[entries.length - 1];
  state.conflict = { group, key, server };
  const tablet =
    mine.type === 'observation_delete'
      ? { deleted: true }
      : { ...mine.body, version: null };
  $('conflict-title').textContent = describe(group, key);
  $('conflict-help').textContent = byMe(server) ? t('conflict_help_self') : t('conflict_help');
  $('conflict-versions').replaceChildren(
    versionBox(t('server_version'), server, group),
    versionBox(t('tablet_version'), tablet, group),
  );
  if (typeof ui.dialog.showModal === 'function') ui.dialog.showModal();
  else ui.dialog.setAttribute('open', '');
  $('keep-tablet').focus();
}

// Who last changed the server's version of a target.
function changedBy(server) {
  return server ? server.updated_by || server.verified_by || null : null;
}

function byMe(server) {
  const who = changedBy(server);
  return Boolean(who && who.id === state.me.id);
}

function applyServerState(record, group, key, server) {
  const pack = record.pack;
  if (group === 'v') {
    record.verifications = record.verifications || {};
    if (server && server.version) record.verifications[key] = server;
    return;
  }
  if (group === 'f') {
    for (const d of pack.domains) {
      for (const s of d.standards) if (s.code === key) s.finding = server;
    }
    return;
  }
  pack.observations = pack.observations.filter((o) => o.key !== key);
  if (server && server.version) pack.observations.push(server);
}

function closeConflict() {
  if (typeof ui.dialog.close === 'function') ui.dialog.close();
  else ui.dialog.removeAttribute('open');
  state.conflict = null;
}

async function keepTablet() {
  const c = state.conflict;
  if (!c) return;
  await store.rebaseChain(VISIT, c.group, c.key, state.me.id, c.server.version || 0);
  closeConflict();
  await afterChange();
}

async function keepServer() {
  const c = state.conflict;
  if (!c) return;
  await store.dropChain(VISIT, c.group, c.key, state.me.id, (record) =>
    applyServerState(record, c.group, c.key, c.server),
  );
  state.record = await store.getPack(VISIT);
  state.pack = state.record.pack;
  indexPack();
  closeConflict();
  await afterChange(true);
}

// --- sending ------------------------------------------------------------------------------------

function request(entry) {
  const base = `${cfg.apiBase}/${VISIT}`;
  const key = encodeURIComponent(entry.key);
  const op = { op_id: entry.op_id, author_id: entry.author_id };
  if (entry.group === 'f') {
    return ['PUT', `${base}/findings/${key}`, { ...entry.body, version: entry.base_version, ...op }];
  }
  if (entry.group === 'v') {
    return ['PUT', `${base}/verifications/${key}`, { ...entry.body, version: entry.base_version || null, ...op }];
  }
  if (entry.type === 'observation') {
    return ['PUT', `${base}/observations/${key}`, { ...entry.body, version: entry.base_version, ...op }];
  }
  return ['DELETE', `${base}/observations/${key}`, { version: entry.base_version, ...op }];
}

async function send(entry) {
  const [method, url, body] = request(entry);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SEND_TIMEOUT_MS);
  try {
    return await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'X-CSRFToken': csrfToken(),
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function refreshCsrf() {
  try {
    const response = await fetch(cfg.pageUrl, { credentials: 'same-origin', cache: 'no-store' });
    if (response.redirected && response.url.includes('/login')) return false;
    const match = (await response.text()).match(/<meta name="csrf-token" content="([^"]+)"/);
    if (!match) return false;
    document.querySelector('meta[name="csrf-token"]').setAttribute('content', match[1]);
    return true;
  } catch (err) {
    return false;
  }
}

function applyAnswer(record, entry, data) {
  if (entry.group === 'f') {
    applyServerState(record, 'f', entry.key, data.finding);
    if (data.visit_state) record.pack.state = data.visit_state;
  } else if (entry.group === 'v') {
    applyServerState(record, 'v', entry.key, data.verification);
  } else if (entry.type === 'observation') {
    applyServerState(record, 'o', entry.key, data.observation);
  } else {
    applyServerState(record, 'o', entry.key, null);
  }
}

function answerVersion(data) {
  const answer = data.finding || data.observation || data.verification;
  return answer ? answer.version : 0;
}

// The server's version of a target was made by this tablet's own last acknowledged op of the
// same person: a 409 against it is no conflict, the change is based on it silently.
function ownAnswer(entry, server) {
  const who = changedBy(server);
  if (!who || who.id !== entry.author_id) return false;
  const acked = state.record && state.record.acked && state.record.acked[`${entry.group}:${entry.key}`];
  return Boolean(acked && acked.author_id === entry.author_id && acked.version === server.version);
}

// Send one entry; returns 'next' to go on with the outbox, 'stop' to wait for a later round.
async function sendOne(entry, round) {
  let response;
  try {
    response = await send(entry);
  } catch (err) {
    setReachable(false);
    return 'stop';
  }
  setReachable(true);
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = {};
  }
  const error = data.error || {};
  if (response.ok && !(data.finding || data.observation || data.deleted || data.verification)) {
    return 'stop'; // not the API's answer (a proxy or captive portal page): try again later
  }
  if (response.ok) {
    const record = await store.acknowledge(
      VISIT,
      entry,
      (rec) => applyAnswer(rec, entry, data),
      answerVersion(data),
    );
    if (record) {
      state.record = record;
      state.pack = record.pack;
      indexPack();
    }
    state.lastSent = new Date().toISOString();
    return 'next';
  }
  if (response.status === 409) {
    const server = error.current || { version: 0 };
    if (entry.group === 'v' && server.version === entry.base_version) {
      // Not a concurrent change: the action cannot be verified now (not done, dropped).
      await store.mark(entry.seq, 'rejected', { error: error.message || '409', server });
      return 'next';
    }
    if (ownAnswer(entry, server)) {
      await store.rebaseChain(VISIT, entry.group, entry.key, entry.author_id, server.version || 0);
      return 'next';
    }
    await store.mark(entry.seq, 'conflict', { server });
    return 'next';
  }
  if (response.status === 403 && error.code === 'wrong_author') {
    // Someone else is signed in now: hold everything, learn who it is (the lock is ours).
    await loadPack();
    return 'stop';
  }
  if (response.status === 401) {
    state.authLost = true;
    return 'stop';
  }
  if (response.status === 400 && error.code === 'csrf') {
    if (round.csrfTried || !(await refreshCsrf())) {
      state.authLost = true;
      return 'stop';
    }
    round.csrfTried = true;
    return 'next';
  }
  if ([400, 403, 404, 422].includes(response.status)) {
    await store.mark(entry.seq, 'rejected', { error: error.message || String(response.status) });
    return 'next';
  }
  return 'stop'; // 429, 5xx: try again later
}

async function drainOnce() {
  const round = { csrfTried: false };
  for (let guard = 0; guard < 5000; guard += 1) {
    const entries = await store.outbox(VISIT);
    const blocked = new Set();
    let next = null;
    for (const e of entries) {
      if (e.author_id !== state.me.id) continue; // held: only its author sends it
      const id = `${e.group}:${e.key}`;
      if (blocked.has(id)) continue;
      if (e.status !== 'pending') {
        blocked.add(id);
        continue;
      }
      next = e;
      break;
    }
    state.outbox = entries;
    if (!next) return;
    const entry = await store.claim(next.seq);
    if (!entry) continue;
    const outcome = await sendOne(entry, round);
    state.outbox = await store.outbox(VISIT);
    refreshEntry(entry);
    updateStatus();
    if (outcome === 'stop') return;
  }
}

async function drain() {
  if (state.draining || state.authLost) return;
  state.draining = true;
  updateStatus();
  try {
    await withOutboxLock(drainOnce);
  } catch (err) {
    // Storage or network trouble: everything stays in the outbox for the next round.
  } finally {
    state.draining = false;
    state.outbox = await store.outbox(VISIT);
    refreshView();
    updateStatus();
  }
}

function kick() {
  if (navigator.onLine) drain();
}

// Sending and refreshing the pack take turns (and so do two windows of one visit): an answer
// to a refresh never lands between a change's acknowledgement and the next change.
function withOutboxLock(task) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request(`kvip-outbox-${VISIT}`, task);
  }
  return task();
}

async function refreshPack() {
  return withOutboxLock(loadPack);
}

async function loadPack() {
  try {
    const response = await fetch(cfg.packUrl, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (response.status === 401) {
      state.authLost = true;
      updateStatus();
      return false;
    }
    if (!response.ok) return false;
    const pack = await response.json();
    state.record = await store.savePack(VISIT, pack);
    state.pack = state.record.pack;
    state.lastRefresh = Date.now();
    indexPack();
    setReachable(true);
    if (pack.me && pack.me.id !== state.me.id) {
      // Someone else signed in since this page was made: their view, the others' changes held.
      state.me = { id: pack.me.id, name: pack.me.name };
      held.setMe(state.me);
      setTimeout(() => afterChange(true), 0);
    }
    return true;
  } catch (err) {
    setReachable(false);
    return false;
  }
}

// --- the views ----------------------------------------------------------------------------------

function renderTabs() {
  const buttons = [
    el('li', {}, el('button', {
      type: 'button',
      class: 'tab-btn',
      'aria-current': state.view === 'pack' ? 'true' : null,
      onclick: () => showFromTab('pack'),
      text: $('pack-title').textContent,
    })),
  ];
  for (const domain of state.pack.domains) {
    const p = progressOf(domain);
    buttons.push(
      el('li', {}, el(
        'button',
        {
          type: 'button',
          class: `tab-btn${p.done === p.total ? ' is-done' : ''}`,
          'aria-current': state.view === domain.code ? 'true' : null,
          'data-domain': domain.code,
          onclick: () => showFromTab(domain.code),
        },
        el('span', { class: 'tab-title', text: `${domain.code} ${domain.title}` }),
        el('span', { class: 'tab-progress', text: `${p.done}/${p.total}` }),
      )),
    );
  }
  ui.tabs.replaceChildren(...buttons);
}

function updateTabs() {
  for (const button of ui.tabs.querySelectorAll('button[data-domain]')) {
    const domain = state.pack.domains.find((d) => d.code === button.dataset.domain);
    if (!domain) continue;
    const p = progressOf(domain);
    button.querySelector('.tab-progress').textContent = `${p.done}/${p.total}`;
    button.classList.toggle('is-done', p.done === p.total);
  }
}

function show(view) {
  state.view = view;
  try {
    sessionStorage.setItem(`kvip-visit-${VISIT}-view`, view);
  } catch (err) {
    /* private mode: fine */
  }
  renderTabs();
  if (view === 'pack') {
    ui.packPanel.hidden = false;
    ui.domainPanel.hidden = true;
    return;
  }
  ui.packPanel.hidden = true;
  ui.domainPanel.hidden = false;
  renderDomain(view);
  const tab = ui.tabs.querySelector('button[aria-current="true"]');
  if (tab) tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

// Switching domain from the tabs starts at the top of the domain, below the sticky bars.
function showFromTab(view) {
  show(view);
  const top = ui.domainPanel.hidden ? ui.packPanel : ui.domainPanel;
  if (top.getBoundingClientRect().top < 0) top.scrollIntoView({ block: 'start' });
}

// A link to #std-<code> (from the consolidation page, a report, a bookmark) opens the domain
// of that standard and scrolls to its card.
function openHash() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (!id.startsWith('std-') || !state.pack) return false;
  const entry = state.index.get(id.slice(4));
  if (!entry) return false;
  show(entry.domain.code);
  const card = document.getElementById(id);
  if (card) card.scrollIntoView({ block: 'start' });
  return true;
}

function selfBlock(std) {
  const self = std.self;
  const box = el('section', { class: 'self-col', 'aria-label': t('self_rating') }, el('h4', { text: t('self_rating') }));
  if (!self || !self.value) {
    box.append(el('p', { class: 'rating-badge r-none', text: t('not_rated') }));
  } else {
    box.append(el('p', { class: `rating-badge r-${self.value}`, text: valueText(self.value) }));
  }
  if (self && self.carried_over) box.append(el('p', { class: 'badge warn', text: t('carried_over') }));
  box.append(el('p', { class: 'pre', text: (self && self.comment) || t('no_comment') }));
  if (self && (self.evidence || self.evidence_links.length || self.evidence_kinds.length)) {
    const details = el('details', { class: 'evidence' }, el('summary', { text: t('evidence') }));
    if (self.evidence_kinds.length) details.append(el('p', { class: 'muted', text: self.evidence_kinds.join(', ') }));
    if (self.evidence) details.append(el('p', { class: 'pre', text: self.evidence }));
    if (self.evidence_links.length) {
      details.append(el('ul', {}, self.evidence_links.map((link) => el('li', { text: link }))));
    }
    box.append(details);
  }
  return box;
}

function teamBlock(std) {
  const writable = state.pack.writable;
  const code = std.code;
  const safe = code.replace(/[^A-Za-z0-9_-]/g, '_');
  const radios = [];
  const fieldset = el('fieldset', { class: 'rating-group' }, el('legend', { text: t('finding_for', { code }) }));
  for (const value of VALUES) {
    const input = el('input', {
      type: 'radio',
      name: `finding-${safe}`,
      value,
      id: `r-${safe}-${value}`,
      disabled: !writable,
      onchange: () => saveFinding(code, { value }),
    });
    radios.push(input);
    fieldset.append(el('label', { class: `rating-opt v-${value}`, for: `r-${safe}-${value}` }, input, el('span', { text: t(`value_${value}`) })));
  }
  const selfValue = std.self && std.self.value;
  const agree = el('button', {
    type: 'button',
    class: 'btn agree',
    disabled: !writable || !selfValue,
    'aria-label': `${t('agree')} (${code})`,
    onclick: () => saveFinding(code, { value: selfValue }),
    text: t('agree'),
  });
  const clear = el('button', {
    type: 'button',
    class: 'btn clear',
    disabled: !writable,
    'aria-label': `${t('clear')} (${code})`,
    onclick: () => saveFinding(code, { value: null }),
    text: t('clear'),
  });
  const textarea = el('textarea', {
    id: `c-${safe}`,
    rows: '3',
    disabled: !writable,
    'aria-label': t('comment_for', { code }),
  });
  textarea.addEventListener('input', () => {
    textarea.dataset.dirty = '1';
    keepDraft(code, textarea.value);
    const pending = pendingComments.get(code);
    if (pending) clearTimeout(pending.timer);
    pendingComments.set(code, { textarea, timer: setTimeout(() => saveComment(code, textarea), 1200) });
  });
  textarea.addEventListener('change', () => {
    const pending = pendingComments.get(code);
    if (pending) clearTimeout(pending.timer);
    saveComment(code, textarea);
  });
  const sync = el('p', { class: 'sync-state', id: `s-${safe}` });
  const box = el(
    'section',
    { class: 'team-col', 'aria-label': t('team_rating') },
    el('h4', { text: t('team_rating') }),
    fieldset,
    el('div', { class: 'team-actions' }, agree, clear),
    el('label', { for: `c-${safe}`, class: 'comment-label', text: t('comment') }),
    textarea,
    sync,
  );
  return { box, radios, textarea, sync };
}

function renderCard(std) {
  const head = el(
    'header',
    { class: 'std-head' },
    el('h3', { id: `h-${std.code}` }, el('span', { class: 'std-code', text: std.code }), ' ', std.text),
    el('span', { class: `badge type-${std.type}`, text: t(`type_${std.type}`) }),
  );
  const card = el('article', { class: 'std-card', id: `std-${std.code}`, 'aria-labelledby': `h-${std.code}` }, head);
  // What the questionnaires and record audits mapped to it say (kvip.core.evidence, thresholds
  // applied on the server): evidence beside the ratings, never one.
  if (std.evidence && std.evidence.length) {
    card.append(el('ul', { class: 'evidence-lines', 'aria-label': t('evidence_lines') }, std.evidence.map((line) => {
      const item = el('li', { class: line.muted ? 'muted' : null }, el('strong', { text: `${line.source}:` }), ` ${line.summary}`);
      if (line.detail) item.append(' ', el('span', { class: 'evidence-detail', text: `– ${line.detail}` }));
      return item;
    })));
  }
  if (std.guidance) {
    card.append(el('details', { class: 'guidance' }, el('summary', { text: t('guidance') }), el('p', { class: 'pre', text: std.guidance })));
  }
  const team = teamBlock(std);
  card.append(el('div', { class: 'std-cols' }, selfBlock(std), team.box));
  // Observations (good practice, improvement, recommendation) can be added at any standard;
  // the ones linked to it are listed on its card.
  const obs = el('div', { class: 'card-obs' }, el('ul', { class: 'card-obs-list', 'data-obs-for': std.code }));
  if (state.pack.writable) {
    obs.append(el('button', {
      type: 'button',
      class: 'btn card-obs-add',
      'data-obs-add': std.code,
      'aria-label': `${t('add_observation')} (${std.code})`,
      onclick: (event) => showObservationForm(null, std.code, event.currentTarget),
      text: t('add_observation'),
    }));
  }
  card.append(obs);
  state.cards.set(std.code, { card, ...team });
  updateCard(std.code);
  return card;
}

function syncText(f) {
  if (f.status === 'conflict') return t('conflict');
  if (f.status === 'rejected') return t('rejected');
  if (f.status === 'waiting') return t('waiting');
  if (!f.server.version) return '';
  const by = f.server.updated_by ? ` · ${t('by', { name: f.server.updated_by.name })}` : '';
  return `${t('saved')}${by}`;
}

function updateCard(code) {
  const parts = state.cards.get(code);
  const entry = state.index.get(code);
  if (!parts || !entry) return;
  const f = findingOf(entry.std);
  for (const radio of parts.radios) radio.checked = radio.value === f.value;
  if (document.activeElement !== parts.textarea && !parts.textarea.dataset.dirty) {
    parts.textarea.value = f.comment || '';
  }
  let text = syncText(f);
  if (f.server.disputed && f.status === 'saved') text += ` · ${t('disputed')}`;
  parts.sync.textContent = text;
  parts.sync.className = `sync-state is-${f.status}`;
  parts.card.classList.toggle('is-rated', Boolean(f.value));
}

function renderDomain(code) {
  const domain = state.pack.domains.find((d) => d.code === code);
  if (!domain) return;
  state.cards.clear();
  const p = progressOf(domain);
  const cards = domain.standards.map(renderCard);
  const readonly = state.pack.writable ? null : el('p', { class: 'flash flash-info', text: t('readonly') });
  ui.domainPanel.replaceChildren(
    ...[
    el('h2', { id: 'domain-title' }, `${t('domain')} ${domain.code}: ${domain.title}`),
    el('p', { class: 'domain-progress', id: 'domain-progress', text: t('progress', { done: p.done, total: p.total }) }),
    el('progress', { max: String(p.total), value: String(p.done), 'aria-labelledby': 'domain-progress' }),
    readonly,
    el('div', { class: 'std-list' }, cards),
    renderObservations(domain),
    ].filter(Boolean),
  );
  renderObservationList();
}

function refreshEntry(entry) {
  if (entry.group === 'f') updateCard(entry.key);
  else if (entry.group === 'v') updateVerifications();
  else renderObservationList();
}

function refreshView() {
  if (!state.pack) return;
  if (ui.tabs.children.length !== state.pack.domains.length + 1) renderTabs();
  else updateTabs();
  if (state.view && state.view !== 'pack') {
    for (const code of state.cards.keys()) updateCard(code);
    const domain = state.pack.domains.find((d) => d.code === state.view);
    if (domain) {
      const p = progressOf(domain);
      const label = $('domain-progress');
      if (label) label.textContent = t('progress', { done: p.done, total: p.total });
      const bar = ui.domainPanel.querySelector('progress');
      if (bar) bar.value = p.done;
    }
    renderObservationList();
  }
}

// --- observations -------------------------------------------------------------------------------

function renderObservations(domain) {
  const writable = state.pack.writable;
  const kindField = el('fieldset', { class: 'kind-group' }, el('legend', { text: t('kind') }));
  for (const kind of KINDS) {
    const input = el('input', { type: 'radio', name: 'obs-kind', value: kind, id: `obs-kind-${kind}` });
    kindField.append(el('label', { class: `kind-opt k-${kind}`, for: `obs-kind-${kind}` }, input, el('span', { text: t(`kind_${kind}`) })));
  }
  const standards = el('fieldset', { class: 'obs-standards' }, el('legend', { text: t('link_standards') }));
  for (const std of domain.standards) {
    const id = `obs-std-${std.code.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    standards.append(
      el('label', { class: 'check', for: id }, el('input', { type: 'checkbox', value: std.code, id }), ` ${std.code}`),
    );
  }
  const error = el('p', { class: 'error', id: 'obs-error', hidden: true, role: 'alert' });
  const form = el(
    'form',
    { id: 'obs-form', class: 'panel obs-form', hidden: true, novalidate: true },
    el('h4', { id: 'obs-form-title', text: t('add_observation') }),
    kindField,
    el('label', { for: 'obs-text', class: 'field-label', text: t('text') }),
    el('textarea', { id: 'obs-text', rows: '4' }),
    error,
    standards,
    el(
      'div',
      { class: 'team-actions' },
      el('button', { type: 'submit', class: 'btn primary', text: t('save_observation') }),
      el('button', { type: 'button', class: 'btn', text: t('cancel'), onclick: () => hideObservationForm() }),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitObservation(domain);
  });
  return el(
    'section',
    { class: 'obs-section', 'aria-labelledby': 'obs-heading' },
    el('h3', { id: 'obs-heading', text: t('observations') }),
    el('ul', { class: 'obs-list', id: 'obs-list' }),
    writable
      ? el('button', {
          type: 'button',
          class: 'btn',
          id: 'obs-add',
          text: t('add_observation'),
          onclick: () => showObservationForm(null),
        })
      : null,
    form,
  );
}

function renderCardObservations(items) {
  for (const list of ui.domainPanel.querySelectorAll('[data-obs-for]')) {
    const code = list.dataset.obsFor;
    const linked = items.filter((o) => (o.standards || []).includes(code));
    list.replaceChildren(
      ...linked.map((o) =>
        el(
          'li',
          { class: `obs-item k-${o.kind}` },
          el('span', { class: 'obs-kind', text: `${t(`kind_${o.kind}`)}: ` }),
          el('span', { class: 'pre', text: o.text }),
          o.status === 'saved' ? null : el('span', { class: `sync-state is-${o.status}`, text: ` · ${syncText({ status: o.status, server: {} })}` }),
        ),
      ),
    );
  }
}

function renderObservationList() {
  const list = $('obs-list');
  if (!list || !state.view || state.view === 'pack') return;
  const writable = state.pack.writable;
  const items = observations().filter((o) => !o.deleted && o.domain === state.view);
  renderCardObservations(items);
  if (!items.length) {
    list.replaceChildren(el('li', { class: 'muted', text: t('no_observations') }));
    return;
  }
  list.replaceChildren(
    ...items.map((o) => {
      const status = o.status === 'saved' ? '' : syncText({ status: o.status, server: {} });
      const del = el('button', {
        type: 'button',
        class: 'btn danger',
        text: t('delete'),
        onclick: () => {
          if (del.dataset.armed) {
            deleteObservation(o);
          } else {
            del.dataset.armed = '1';
            del.textContent = t('confirm_delete');
          }
        },
      });
      return el(
        'li',
        { class: `obs-item k-${o.kind}` },
        el('p', { class: 'obs-kind', text: t(`kind_${o.kind}`) }),
        el('p', { class: 'pre', text: o.text }),
        o.standards && o.standards.length ? el('p', { class: 'muted', text: `${t('standard')}: ${o.standards.join(', ')}` }) : null,
        status ? el('p', { class: `sync-state is-${o.status}`, text: status }) : null,
        writable
          ? el('div', { class: 'team-actions' },
              el('button', { type: 'button', class: 'btn', text: t('edit'), onclick: () => showObservationForm(o) }),
              del)
          : null,
      );
    }),
  );
}

function showObservationForm(obs, code = null, opener = null) {
  const form = $('obs-form');
  state.editing = obs ? { key: obs.key } : null;
  state.obsOpener = opener;
  const home = $('obs-add');
  if (opener) opener.after(form);
  else if (home) home.after(form);
  $('obs-form-title').textContent = obs ? t('edit_observation') : t('add_observation');
  for (const input of form.querySelectorAll('input[name="obs-kind"]')) {
    input.checked = obs ? input.value === obs.kind : input.value === 'good_practice';
  }
  $('obs-text').value = obs ? obs.text : '';
  for (const box of form.querySelectorAll('.obs-standards input')) {
    box.checked = obs ? Boolean(obs.standards && obs.standards.includes(box.value)) : box.value === code;
  }
  $('obs-error').hidden = true;
  form.hidden = false;
  for (const button of ui.domainPanel.querySelectorAll('#obs-add, [data-obs-add]')) button.hidden = false;
  if (opener) opener.hidden = true;
  else if (home) home.hidden = true;
  $('obs-text').focus();
}

function hideObservationForm() {
  const form = $('obs-form');
  form.hidden = true;
  const add = $('obs-add');
  const opener = state.obsOpener && state.obsOpener.isConnected ? state.obsOpener : add;
  if (add) add.after(form);
  for (const button of ui.domainPanel.querySelectorAll('#obs-add, [data-obs-add]')) button.hidden = false;
  if (opener) opener.focus();
  state.editing = null;
  state.obsOpener = null;
}

// The version of a target in the stored pack record, read in the transaction that queues a
// change, so a change is always based on the answer to the previous one.
function observationVersion(key) {
  return (record) => {
    const o = record && record.pack.observations.find((x) => x.key === key);
    return o ? o.version : 0;
  };
}

function findingVersion(code) {
  return (record) => {
    if (!record) return 0;
    for (const d of record.pack.domains) {
      for (const s of d.standards) if (s.code === code) return s.finding.version || 0;
    }
    return 0;
  };
}

function verificationVersion(key) {
  return (record) => {
    const form = verifyForm(key);
    const shown = form ? Number(form.dataset.version) || 0 : 0;
    const stored = record && record.verifications && record.verifications[key];
    return Math.max(shown, stored ? stored.version : 0);
  };
}

async function submitObservation(domain) {
  const form = $('obs-form');
  const text = $('obs-text').value.trim();
  if (!text) {
    const error = $('obs-error');
    error.textContent = t('write_text');
    error.hidden = false;
    $('obs-text').focus();
    return;
  }
  const kind = (form.querySelector('input[name="obs-kind"]:checked') || {}).value || 'good_practice';
  const standards = [...form.querySelectorAll('.obs-standards input:checked')].map((b) => b.value);
  const key = state.editing ? state.editing.key : store.newId();
  const body = { kind, text, domain: domain.code, standards };
  await serial(() =>
    store.enqueue(VISIT, 'o', key, 'observation', body, state.me, observationVersion(key)),
  );
  hideObservationForm();
  await afterChange();
}

async function deleteObservation(obs) {
  await serial(() =>
    store.enqueue(VISIT, 'o', obs.key, 'observation_delete', {}, state.me, observationVersion(obs.key)),
  );
  await afterChange();
}

// --- recording findings -----------------------------------------------------------------------

// Changes are written to the outbox one after another, in the order the reviewer made them.
let writing = Promise.resolve();
function serial(task) {
  writing = writing.then(task, task);
  return writing;
}

async function saveFinding(code, changes) {
  const entry = state.index.get(code);
  if (!entry || !state.pack.writable) return;
  // What the reviewer sees on the card is the truth (the outbox may still be catching up).
  const parts = state.cards.get(code);
  const current = findingOf(entry.std);
  let value = current.value;
  if ('value' in changes) value = changes.value;
  else if (parts) value = (parts.radios.find((r) => r.checked) || { value: null }).value;
  let comment = current.comment;
  if ('comment' in changes) comment = changes.comment;
  else if (parts) comment = parts.textarea.value;
  if (parts && 'value' in changes) {
    for (const radio of parts.radios) radio.checked = radio.value === value;
  }
  const body = { value: value || null, comment: comment || '' };
  await serial(() => store.enqueue(VISIT, 'f', code, 'finding', body, state.me, findingVersion(code)));
  forgetDraft(code, body.comment);
  if (parts && !('value' in changes)) delete parts.textarea.dataset.dirty;
  await afterChange();
}

async function saveComment(code, textarea) {
  pendingComments.delete(code);
  if (!textarea.dataset.dirty) return;
  const entry = state.index.get(code);
  if (!entry) return;
  if ((findingOf(entry.std).comment || '') === textarea.value) {
    delete textarea.dataset.dirty;
    forgetDraft(code, textarea.value);
    return;
  }
  await saveFinding(code, { comment: textarea.value });
}

// --- typing not yet saved -------------------------------------------------------------------
//
// A comment is saved 1.2 s after the last key. Until then the text is in localStorage
// (written synchronously on every key), and leaving or hiding the page puts it in the outbox
// at once: nothing typed is lost to a reload, a closed tab or a tablet discarding the page.

const pendingComments = new Map(); // standard code → {textarea, timer}

function draftKey(code) {
  return `kvip-draft:${VISIT}:${state.me.id}:${code}`;
}

function keepDraft(code, text) {
  try {
    localStorage.setItem(draftKey(code), JSON.stringify({ comment: text, at: new Date().toISOString() }));
  } catch (err) {
    /* storage full or disabled: the outbox still gets it on pagehide */
  }
}

function forgetDraft(code, text) {
  try {
    const raw = localStorage.getItem(draftKey(code));
    if (raw !== null && JSON.parse(raw).comment === text) localStorage.removeItem(draftKey(code));
  } catch (err) {
    /* nothing stored */
  }
}

function flushPending() {
  for (const [code, pending] of [...pendingComments]) {
    clearTimeout(pending.timer);
    pendingComments.delete(code);
    saveComment(code, pending.textarea); // starts the IndexedDB write now
  }
}

// Text kept in localStorage that never reached the outbox (the page went before it could).
async function recoverDrafts() {
  const prefix = `kvip-draft:${VISIT}:${state.me.id}:`;
  let keys = [];
  try {
    keys = Object.keys(localStorage).filter((k) => k.startsWith(prefix));
  } catch (err) {
    return;
  }
  for (const key of keys) {
    const code = key.slice(prefix.length);
    let draft = null;
    try {
      draft = JSON.parse(localStorage.getItem(key));
    } catch (err) {
      draft = null;
    }
    const entry = state.index.get(code);
    if (!draft || !entry || typeof draft.comment !== 'string') {
      localStorage.removeItem(key);
      continue;
    }
    if ((findingOf(entry.std).comment || '') === draft.comment) {
      localStorage.removeItem(key);
    } else if (state.pack.writable) {
      await saveFinding(code, { comment: draft.comment });
    }
  }
}

// --- verifying the unit's previous actions ----------------------------------------------------
//
// The verify forms come with the page (templates/actions/_visit_pack.html) and post plainly
// without script; here they go through the outbox like findings: offline-safe, sent once.

function verifyForm(key) {
  return document.querySelector(`form.vp-verify[data-action-id="${CSS.escape(String(key))}"]`);
}

function verificationOf(key) {
  const entries = chain('v', key);
  const last = entries[entries.length - 1];
  const stored = state.record && state.record.verifications ? state.record.verifications[key] : null;
  const form = verifyForm(key);
  const shown = form ? Number(form.dataset.version) || 0 : 0;
  return {
    pending: last ? last.body : null,
    status: chainStatus(entries),
    server: stored && stored.version >= shown ? stored : null,
  };
}

function updateVerifications() {
  for (const form of document.querySelectorAll('form.vp-verify[data-action-id]')) {
    const key = form.dataset.actionId;
    const v = verificationOf(key);
    const note = form.querySelector('.sync-state');
    const textarea = form.querySelector('textarea[name="comment"]');
    const latest = v.pending || v.server;
    if (latest && textarea && document.activeElement !== textarea && !textarea.dataset.dirty) {
      textarea.value = latest.comment || '';
    }
    if (v.server) {
      const badge = form.closest('li') && form.closest('li').querySelector('.vp-head .badge');
      if (badge && state.statuses[v.server.status]) badge.textContent = state.statuses[v.server.status];
    }
    let text = '';
    if (latest && latest.outcome) {
      text = t('verify_recorded', { outcome: t(`outcome_${latest.outcome}`) });
      if (v.status === 'conflict') text += ` · ${t('conflict')}`;
      else if (v.status === 'rejected') text += ` · ${t('rejected')}`;
      else if (v.status === 'waiting') text += ` · ${t('waiting')}`;
      else text += ` · ${t('saved')}`;
    }
    note.textContent = text;
    note.className = `sync-state is-${v.status}`;
  }
}

async function saveVerification(key, body) {
  await serial(() =>
    store.enqueue(VISIT, 'v', key, 'verification', body, state.me, verificationVersion(key)),
  );
  await afterChange();
}

function wireVerifications() {
  const list = document.querySelector('.vp-list');
  try {
    state.statuses = list && list.dataset.statuses ? JSON.parse(list.dataset.statuses) : {};
  } catch (err) {
    state.statuses = {};
  }
  for (const form of document.querySelectorAll('form.vp-verify[data-action-id]')) {
    const key = form.dataset.actionId;
    const textarea = form.querySelector('textarea[name="comment"]');
    const error = el('p', { class: 'error', id: `vp-error-${key}`, role: 'alert', hidden: true });
    textarea.after(error);
    textarea.addEventListener('input', () => {
      textarea.dataset.dirty = '1';
      error.hidden = true;
    });
    form.append(el('p', { class: 'sync-state', role: 'status', 'aria-live': 'polite' }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const outcome = event.submitter ? event.submitter.value : 'not_verified';
      const comment = textarea.value.trim();
      if (outcome === 'not_verified' && !comment) {
        error.textContent = t('verify_needs_comment');
        error.hidden = false;
        textarea.setAttribute('aria-describedby', error.id);
        textarea.focus();
        return;
      }
      delete textarea.dataset.dirty;
      saveVerification(key, { outcome, comment });
    });
  }
  updateVerifications();
}

async function afterChange(full = false) {
  state.outbox = await store.outbox(VISIT);
  if (full) {
    state.record = (await store.getPack(VISIT)) || state.record;
    if (state.record) {
      state.pack = state.record.pack;
      indexPack();
    }
  }
  if (full && state.view && state.view !== 'pack') renderDomain(state.view);
  refreshView();
  updateVerifications();
  updateStatus();
  kick();
}

// --- preparing for offline use -----------------------------------------------------------------

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return false;
  await navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope });
  await navigator.serviceWorker.ready;
  return true;
}

async function prepare() {
  ui.prepare.disabled = true;
  ui.prep.textContent = t('preparing');
  try {
    await registerWorker();
    if (!(await refreshPack())) throw new Error('no pack');
    // The visit's pages (visit mode, overview, the visit list) and every asset they use.
    const pages = await caches.open(cfg.pagesCache);
    await pages.addAll(cfg.offlinePages);
    const assets = await caches.open(cfg.assetsCache);
    await assets.addAll(cfg.assets);
    state.record = await store.savePack(VISIT, state.pack, { prepared: true });
    if (!state.view) start();
    updateStatus();
  } catch (err) {
    ui.prep.textContent = t('prepare_failed');
  } finally {
    ui.prepare.disabled = false;
  }
}

// --- start ------------------------------------------------------------------------------------

function start() {
  ui.loading.hidden = true;
  indexPack();
  let view = null;
  try {
    view = sessionStorage.getItem(`kvip-visit-${VISIT}-view`);
  } catch (err) {
    view = null;
  }
  if (openHash()) return;
  const known = view === 'pack' || state.pack.domains.some((d) => d.code === view);
  show(known ? view : state.pack.domains.length ? state.pack.domains[0].code : 'pack');
}

// The sticky bars' height, so the domain tabs sit just below the status bar and cards scroll
// clear of both.
function measureBars() {
  const bar = document.querySelector('.sync-bar');
  const root = document.querySelector('.visit-mode');
  if (!bar || !root) return;
  root.style.setProperty('--sync-h', `${bar.offsetHeight}px`);
  const tabs = document.querySelector('.visit-tabs');
  root.style.setProperty('--tabs-h', `${tabs ? tabs.offsetHeight : 0}px`);
}

async function main() {
  ui.prepare.addEventListener('click', prepare);
  ui.sendNow.addEventListener('click', () => drain());
  $('keep-tablet').addEventListener('click', keepTablet);
  $('keep-server').addEventListener('click', keepServer);
  $('conflict-cancel').addEventListener('click', closeConflict);
  ui.dialog.addEventListener('close', () => {
    state.conflict = null;
  });
  window.addEventListener('online', () => {
    state.reachable = true;
    updateStatus();
    drain().then(() => refreshPack()).then(() => refreshView());
  });
  window.addEventListener('offline', () => setReachable(false));
  // Leaving, reloading or hiding the page (a tablet may then discard it): typing goes to the
  // outbox now, not 1.2 s later.
  window.addEventListener('pagehide', flushPending);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flushPending();
    if (document.visibilityState === 'visible' && mine().length) kick();
  });
  document.addEventListener('kvip-held-changed', () => afterChange(true));
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope }).catch(() => {});
  }
  wireVerifications();
  window.addEventListener('hashchange', openHash);
  if ('ResizeObserver' in window) {
    const observer = new ResizeObserver(measureBars);
    for (const node of document.querySelectorAll('.sync-bar, .visit-tabs')) observer.observe(node);
  }
  measureBars();
  await store.adoptUnattributed(VISIT, state.me);
  state.record = await store.getPack(VISIT);
  state.outbox = await store.outbox(VISIT);
  if (state.record) {
    state.pack = state.record.pack;
    start();
    $('stored-note').textContent = t('stored_copy', { time: timeOf(state.record.saved_at) });
    updateVerifications();
  }
  updateStatus();
  if (navigator.onLine && (await refreshPack())) {
    $('stored-note').textContent = '';
    if (!state.view) start();
    else refreshView();
  } else if (!state.pack) {
    ui.loading.textContent = t('no_pack');
  }
  if (state.pack) await recoverDrafts();
  updateStatus();
  await drain();
  setInterval(async () => {
    if (mine().some((e) => e.status === 'pending') && navigator.onLine) await drain();
    if (navigator.onLine && !state.draining && Date.now() - state.lastRefresh > REFRESH_MS) {
      if (await refreshPack()) refreshView();
    }
  }, RETRY_MS);
}

main();
