// KvIP self-assessment: autosave with optimistic locking, offline queue, conflict choice,
// filters and progress; plus the summary chart and print button. Plain ES module, no build.
// Every edit goes to PUT /api/v1/assessments/<id>/ratings/<code> with the version it is based
// on. Unsent edits live in localStorage until the server confirms them, so a reload or a lost
// connection loses nothing; a 409 shows the other person's version beside the user's own.

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function fmt(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key] ?? ""));
}

const FIELDS = ["value", "comment", "evidence", "evidence_links", "evidence_kinds"];

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

// --- the self-assessment page ---------------------------------------------------------------

function initAssessment(config) {
  const S = config.strings;
  const storeKey = `kvip:self-assessment:${config.assessmentId}`;
  const csrf = $('meta[name="csrf-token"]')?.content || "";
  const status = $("#sa-status");
  const items = new Map();
  let retryDelay = 2000;
  let retryTimer = null;
  let offline = false;

  for (const article of $$("article.std")) {
    items.set(article.dataset.code, {
      el: article,
      code: article.dataset.code,
      domain: article.dataset.domain,
      version: Number(article.dataset.version),
      value: article.dataset.value || null,
      prev: article.dataset.prev || null,
      carried: article.dataset.carried === "1",
      pending: null,
      base: null,
      inflight: false,
      conflict: null,
      timer: null,
      historyStale: false,
    });
  }

  // -- persistence of unsent edits
  function readStore() {
    try {
      return JSON.parse(localStorage.getItem(storeKey) || "{}") || {};
    } catch {
      return {};
    }
  }
  function writeStore() {
    const data = {};
    for (const [code, it] of items) {
      if (it.pending) data[code] = { fields: it.pending, base: it.base, conflict: it.conflict };
    }
    try {
      if (Object.keys(data).length) localStorage.setItem(storeKey, JSON.stringify(data));
      else localStorage.removeItem(storeKey);
    } catch {
      /* storage full or blocked: the edit is still sent */
    }
  }

  // -- reading and writing the controls of one standard
  function controls(it) {
    const a = it.el;
    return {
      radios: $$('input[type="radio"]', a),
      comment: $('textarea[name="comment"]', a),
      evidence: $('textarea[name="evidence"]', a),
      links: $('textarea[name="evidence_links"]', a),
      kinds: $$('input[name="evidence_kinds"]', a),
    };
  }
  function readField(it, field) {
    const c = controls(it);
    if (field === "value") return c.radios.find((r) => r.checked)?.value ?? null;
    if (field === "comment") return c.comment.value;
    if (field === "evidence") return c.evidence.value;
    if (field === "evidence_links") return c.links.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (field === "evidence_kinds") return c.kinds.filter((k) => k.checked).map((k) => k.value);
    return null;
  }
  function writeFields(it, fields) {
    const c = controls(it);
    if ("value" in fields) for (const r of c.radios) r.checked = r.value === fields.value;
    // Assign only real changes: re-setting a textarea moves the caret of someone typing.
    const put = (control, value) => {
      if (control && control.value !== value) control.value = value;
    };
    if ("comment" in fields) put(c.comment, fields.comment ?? "");
    if ("evidence" in fields) put(c.evidence, fields.evidence ?? "");
    if ("evidence_links" in fields) put(c.links, (fields.evidence_links || []).join("\n"));
    if ("evidence_kinds" in fields) {
      for (const k of c.kinds) k.checked = (fields.evidence_kinds || []).includes(k.value);
    }
    if ((fields.evidence || (fields.evidence_links || []).length || (fields.evidence_kinds || []).length)) {
      const details = $("details.evidence", it.el);
      if (details) details.open = true;
    }
  }

  // -- state shown per standard and for the page
  function showState(it, state, message) {
    const badge = $("[data-save-state]", it.el);
    badge.dataset.state = state;
    const words = {
      saving: S.saving,
      saved: S.saved,
      queued: S.queued,
      failed: S.failed,
      conflict: S.conflict,
    };
    badge.textContent = message || words[state] || "";
    if (state === "saved") {
      // The page's language, not the browser's (en-US would say "03:43 PM"): en-GB or nb.
      const locale = document.documentElement.lang === "en" ? "en-GB" : "nb-NO";
      const time = new Date().toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
      badge.textContent = `${S.saved} ${time}`;
    }
  }
  function refreshStatus() {
    const waiting = [...items.values()].filter((it) => it.pending || it.inflight).length;
    const conflicts = [...items.values()].filter((it) => it.conflict).length;
    status.classList.toggle("is-offline", offline && waiting > 0);
    if (offline && waiting) status.textContent = `${S.offline} ${fmt(S.pending, { n: waiting })}`;
    else if (conflicts) status.textContent = `${S.conflict}: ${conflicts}`;
    else if (waiting) status.textContent = fmt(S.pending, { n: waiting });
    else status.textContent = S.all_saved;
  }

  function refreshProgress() {
    const byDomain = new Map();
    let rated = 0;
    let total = 0;
    const counts = { all: 0, unrated: 0, not_met: 0, changed: 0, carried: 0 };
    for (const it of items.values()) {
      const { value, carried } = effective(it);
      const fresh = value && !carried;
      const d = byDomain.get(it.domain) || { rated: 0, total: 0 };
      d.total += 1;
      total += 1;
      if (fresh) {
        d.rated += 1;
        rated += 1;
      }
      byDomain.set(it.domain, d);
      for (const key of Object.keys(counts)) if (matches(it, key)) counts[key] += 1;
    }
    const pct = total ? (100 * rated) / total : 0;
    $("#sa-count").textContent = String(rated);
    for (const node of $$("[data-sa-count]")) node.textContent = String(rated);
    const carriedNode = $("#sa-carried");
    if (carriedNode) carriedNode.textContent = String(counts.carried);
    const unratedNode = $("#sa-unrated");
    if (unratedNode) unratedNode.textContent = String(counts.unrated);
    $("#sa-pct").textContent = pct.toFixed(0);
    $("#sa-bar").style.width = `${pct.toFixed(1)}%`;
    for (const [code, d] of byDomain) {
      const count = $(`[data-domain-count="${code}"]`);
      if (count) count.textContent = String(d.rated);
      const bar = $(`[data-domain-bar="${code}"]`);
      if (bar) bar.style.width = `${d.total ? ((100 * d.rated) / d.total).toFixed(1) : 0}%`;
    }
    for (const [key, n] of Object.entries(counts)) {
      const node = $(`[data-filter-count="${key}"]`);
      if (node) node.textContent = `(${n})`;
    }
    const openWork = $("[data-open-work]");
    if (openWork) {
      openWork.textContent = [
        counts.unrated ? fmt(S.open_unrated, { n: counts.unrated }) : "",
        counts.carried ? fmt(S.open_carried, { n: counts.carried }) : "",
      ]
        .filter(Boolean)
        .join(" · ");
    }
  }

  // The value as this person sees it: their unsent edit counts (any edit confirms).
  function effective(it) {
    if (it.pending && Object.keys(it.pending).length) {
      return { value: "value" in it.pending ? it.pending.value : it.value, carried: false };
    }
    return { value: it.value, carried: it.carried };
  }

  function matches(it, filter) {
    const { value, carried } = effective(it);
    switch (filter) {
      // One vocabulary (kvip/cycles/progress.py): rated / carried over, not confirmed / not rated.
      case "unrated":
        return !value && !carried;
      case "not_met":
        return value === "not_met";
      case "changed":
        return config.hasPrevious && Boolean(value) && value !== it.prev;
      case "carried":
        return carried;
      default:
        return true;
    }
  }

  function applyFilter(filter) {
    for (const it of items.values()) it.el.hidden = !matches(it, filter);
    for (const section of $$("section.sa-domain")) {
      const any = $$("article.std", section).some((a) => !a.hidden);
      $(".sa-nomatch", section).hidden = any;
    }
  }

  // -- editing
  function edit(it, field, value, delay) {
    if (!config.editable) return;
    if (!it.pending) {
      it.pending = {};
      it.base = it.version;
    }
    it.pending[field] = value;
    writeStore();
    showState(it, "queued", S.queued);
    refreshStatus();
    if (field === "value" || field === "confirm") refreshProgress();
    schedule(it, delay);
  }

  function schedule(it, delay) {
    clearTimeout(it.timer);
    it.timer = setTimeout(() => send(it), delay);
  }

  function applyServerState(it, state) {
    it.version = state.version;
    it.value = state.value;
    it.carried = Boolean(state.carried_over);
    it.el.dataset.version = String(state.version);
    it.el.dataset.value = state.value || "";
    it.el.dataset.carried = it.carried ? "1" : "0";
    it.el.classList.toggle("is-carried", it.carried);
    if (!it.carried) $("[data-carried-note]", it.el)?.remove();
    const versionInput = $('input[name="version"]', it.el);
    if (versionInput) versionInput.value = String(state.version);
    it.historyStale = true;
  }

  async function send(it) {
    clearTimeout(it.timer);
    if (!it.pending || it.inflight || it.conflict) return;
    const snapshot = { ...it.pending };
    it.inflight = true;
    showState(it, "saving");
    refreshStatus();
    let response;
    try {
      response = await fetch(config.api.replace("__code__", encodeURIComponent(it.code)), {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ ...snapshot, version: it.base }),
      });
    } catch {
      response = null;
    }
    it.inflight = false;
    if (!response || response.status >= 500 || response.status === 0) {
      offline = !response || !navigator.onLine;
      showState(it, "queued", S.queued);
      refreshStatus();
      scheduleRetry();
      return;
    }
    offline = false;
    retryDelay = 2000;
    let body = {};
    try {
      body = await response.json();
    } catch {
      body = {};
    }
    if (response.ok) {
      applyServerState(it, body);
      for (const [key, value] of Object.entries(snapshot)) {
        if (it.pending && same(it.pending[key], value)) delete it.pending[key];
      }
      if (it.pending && Object.keys(it.pending).length === 0) it.pending = null;
      // Show what is stored for every field nobody is changing here (e.g. the other
      // person's comment after "keep mine").
      const stored = {};
      for (const field of FIELDS) if (!(it.pending && field in it.pending)) stored[field] = body[field];
      writeFields(it, stored);
      if (it.pending) {
        it.base = body.version;
        schedule(it, 300);
      } else {
        showState(it, "saved");
      }
      clearFieldError(it, Object.keys(snapshot));
      writeStore();
      refreshProgress();
      refreshStatus();
      return;
    }
    const error = body.error || {};
    if (response.status === 409 && error.code === "conflict" && error.current) {
      it.conflict = error.current;
      writeStore();
      showConflict(it);
      refreshStatus();
      return;
    }
    if (response.status === 422 && error.fields && it.pending) {
      // Keep the valid part of the edit; the field in error waits for the person to fix it.
      for (const field of Object.keys(error.fields)) delete it.pending[field];
      if (!Object.keys(it.pending).length) it.pending = null;
      writeStore();
      showState(it, "failed", `${S.failed}: ${error.message || response.status}`);
      showFieldError(it, error.fields);
      if (it.pending) schedule(it, 300);
      refreshStatus();
      return;
    }
    // 401/403/404/409 locked: sending again will not help; say why and drop the edit.
    it.pending = null;
    writeStore();
    showState(it, "failed", `${S.failed}: ${error.message || response.status}`);
    if (error.code === "locked") status.textContent = S.locked;
    else refreshStatus();
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(retryAll, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }
  function retryAll() {
    for (const it of items.values()) if (it.pending && !it.inflight && !it.conflict) send(it);
  }

  function showFieldError(it, fields) {
    clearFieldError(it, Object.keys(fields));
    for (const [field, message] of Object.entries(fields)) {
      const control = $(`[name="${field}"]`, it.el) || $("fieldset.rating", it.el);
      if (!control) continue;
      const id = `err-${it.el.id}-${field}`;
      const p = el("p", { class: "error", id, text: message, "data-field": field });
      const anchor = field === "evidence_kinds" ? control.closest("fieldset") : control;
      anchor.after(p);
      anchor.setAttribute("aria-describedby", id);
      anchor.setAttribute("aria-invalid", "true");
      if (field === "evidence_links" || field === "evidence" || field === "evidence_kinds") {
        $("details.evidence", it.el).open = true;
      }
    }
  }
  function clearFieldError(it, fields) {
    for (const p of $$("p.error[data-field]", it.el)) {
      if (!fields.includes(p.dataset.field)) continue;
      const control = $(`[aria-describedby="${p.id}"]`, it.el);
      if (control) {
        control.removeAttribute("aria-invalid");
        control.removeAttribute("aria-describedby");
      }
      p.remove();
    }
  }

  // -- the side-by-side choice after a 409
  function describe(fields, field) {
    const value = fields[field];
    if (field === "value") return value ? config.labels[value] : S.unrated;
    if (field === "evidence_kinds") return (value || []).map((k) => config.kindLabels[k] || k).join(", ") || S.none;
    if (field === "evidence_links") return (value || []).join("\n") || S.none;
    return value || S.none;
  }

  function showConflict(it) {
    const theirs = it.conflict;
    // Keeping mine sends only the fields this person changed; the rest stay as they are now.
    const mine = {};
    for (const field of FIELDS) {
      mine[field] = it.pending && field in it.pending ? it.pending[field] : theirs[field];
    }
    const fields = FIELDS.filter(
      (f) => f === "value" || f === "comment" || !same(describe(mine, f), describe(theirs, f)),
    );
    const names = { value: S.rating, comment: S.comment, evidence: S.evidence, evidence_links: S.links, evidence_kinds: S.kinds };
    const column = (title, data, cls, button) => {
      const dl = el("dl");
      for (const f of fields) {
        dl.append(el("dt", { text: names[f] }), el("dd", { class: "pre", text: describe(data, f) }));
      }
      return el("div", { class: `side ${cls}` }, el("h4", { text: title }), dl, button);
    };
    const keep = el("button", { type: "button", class: "btn primary", "data-keep-mine": "" }, S.keep_mine);
    const take = el("button", { type: "button", class: "btn", "data-take-theirs": "" }, S.take_theirs);
    keep.addEventListener("click", () => resolve(it, "mine"));
    take.addEventListener("click", () => resolve(it, "theirs"));
    const box = $("[data-conflict]", it.el);
    box.replaceChildren(
      el("p", { class: "conflict-title", text: S.conflict_title }),
      theirs.updated_by ? el("p", { class: "muted", text: fmt(S.conflict_by, { name: theirs.updated_by }) }) : null,
      el(
        "div",
        { class: "sides" },
        column(S.theirs, theirs, "theirs", take),
        column(S.yours, mine, "yours", keep),
      ),
    );
    box.setAttribute("role", "alert");
    box.hidden = false;
    showState(it, "conflict");
    box.focus({ preventScroll: false });
  }

  function resolve(it, choice) {
    const theirs = it.conflict;
    const box = $("[data-conflict]", it.el);
    box.hidden = true;
    box.removeAttribute("role");
    box.replaceChildren();
    it.conflict = null;
    if (choice === "mine") {
      // Send the user's version again, now based on the version the other person saved.
      it.base = theirs.version;
      writeStore();
      send(it);
    } else {
      it.pending = null;
      writeFields(it, theirs);
      applyServerState(it, theirs);
      writeStore();
      showState(it, "saved", S.saved);
      refreshProgress();
      refreshStatus();
    }
    $("fieldset.rating input:checked, fieldset.rating input", it.el)?.focus();
  }

  // -- wiring
  const main = $("#sa-main");
  const itemOf = (node) => items.get(node.closest("article.std")?.dataset.code);
  main.addEventListener("change", (event) => {
    const it = itemOf(event.target);
    if (!it) return;
    const t = event.target;
    if (t.type === "radio") edit(it, "value", t.value, 0);
    else if (t.name === "evidence_kinds") edit(it, "evidence_kinds", readField(it, "evidence_kinds"), 400);
    else if (t.tagName === "TEXTAREA") {
      edit(it, t.name, readField(it, t.name), 0);
    }
  });
  main.addEventListener("input", (event) => {
    const t = event.target;
    if (t.tagName !== "TEXTAREA") return;
    const it = itemOf(t);
    if (it) edit(it, t.name, readField(it, t.name), 1200);
  });
  main.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.closest("article.std") && $("[data-confirm]", form)) {
      event.preventDefault();
      const it = itemOf(form);
      edit(it, "confirm", true, 0);
    } else if (form.classList.contains("confirm-domain")) {
      event.preventDefault();
      const domain = form.closest("section.sa-domain").dataset.domain;
      for (const it of items.values()) if (it.domain === domain && it.carried) edit(it, "confirm", true, 0);
      form.remove();
    } else if ($("[data-submit]", form)) {
      const waiting = [...items.values()].some((it) => it.pending || it.inflight);
      if (waiting) {
        event.preventDefault();
        retryAll();
        let tries = 0;
        const wait = setInterval(() => {
          tries += 1;
          const still = [...items.values()].some((it) => (it.pending || it.inflight) && !it.conflict);
          if (!still) {
            clearInterval(wait);
            form.submit();
          } else if (tries > 40) {
            clearInterval(wait);
            refreshStatus();
          }
        }, 250);
      }
    }
  });
  main.addEventListener(
    "toggle",
    async (event) => {
      const details = event.target;
      if (!details.matches?.("details.history") || !details.open) return;
      const it = itemOf(details);
      if (details.dataset.loaded && !(it && it.historyStale)) return;
      const body = $(".history-body", details);
      body.textContent = S.loading;
      try {
        const response = await fetch(details.dataset.src, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        body.innerHTML = await response.text();
        details.dataset.loaded = "1";
        if (it) it.historyStale = false;
      } catch {
        body.textContent = S.history_failed;
      }
    },
    true,
  );
  for (const radio of $$('input[name="sa-filter"]')) {
    radio.addEventListener("change", () => applyFilter(radio.value));
  }
  window.addEventListener("online", () => {
    retryDelay = 2000;
    retryAll();
  });
  window.addEventListener("offline", () => {
    offline = true;
    refreshStatus();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      for (const it of items.values()) if (it.pending && !it.inflight && !it.conflict) send(it);
    }
  });

  // -- restore unsent edits from this device, then send them
  const stored = readStore();
  let restored = 0;
  for (const [code, entry] of Object.entries(stored)) {
    const it = items.get(code);
    if (!it || !entry || !entry.fields) continue;
    it.pending = entry.fields;
    it.base = typeof entry.base === "number" ? entry.base : it.version;
    writeFields(it, entry.fields);
    restored += 1;
    if (entry.conflict) {
      it.conflict = entry.conflict;
      showConflict(it);
    } else {
      showState(it, "queued", S.queued);
    }
  }
  refreshProgress();
  refreshStatus();
  if (restored) {
    status.textContent = fmt(S.restored, { n: restored });
    retryAll();
  }
}

// --- the summary page -----------------------------------------------------------------------

function initCharts() {
  for (const node of $$("[data-plotly]")) {
    const source = document.getElementById(node.dataset.plotly);
    if (!source || !window.KvipCharts) continue;
    window.KvipCharts.draw(node, JSON.parse(source.textContent), {
      toImageButtonOptions: { format: "png", filename: node.dataset.plotly || "kvip-chart", scale: 2 },
    });
  }
  for (const button of $$("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // Print everything: folded sections open before printing.
  window.addEventListener("beforeprint", () => {
    for (const details of $$("details[data-print-open]")) details.open = true;
  });
}


// --- one domain at a time on narrow screens -------------------------------------------------
// Below 1000 px (a tablet in portrait, a phone) the page shows one domain; the domain menu, the
// overall count and the save status sit in a bar that stays at the top. Wide screens keep the
// whole page, and without JavaScript the whole page shows everywhere. Links to #d-<domain> or
// #s-<standard> open that domain (the browser's back button goes to the previous one).

// Standards are laid out only near the screen (content-visibility: auto in cycles.css), so one
// drawn just above a link's target can turn out taller or shorter than its estimated height and
// push the target away from the top of the screen (the browser's scroll anchoring cannot help
// when the standard it anchors to is the one that changed). For a moment after such a jump, put
// the target back at the top, below its scroll margin – until the person scrolls or types.
let watch = null;
function keepInPlace(node) {
  watch?.abort();
  const margin = parseFloat(getComputedStyle(node).scrollMarginTop) || 0;
  // Not where a jump left it (the person scrolled away while the page loaded): leave it.
  if (Math.abs(node.getBoundingClientRect().top - margin) > window.innerHeight) return;
  const ctrl = new AbortController();
  watch = ctrl;
  for (const type of ["wheel", "touchstart", "mousedown", "keydown"]) {
    window.addEventListener(type, () => ctrl.abort(), { capture: true, passive: true, signal: ctrl.signal });
  }
  let frames = 0;
  let still = 0;
  const check = () => {
    if (ctrl.signal.aborted) return;
    const off = node.getBoundingClientRect().top - margin;
    const y = window.scrollY;
    if (Math.abs(off) >= 1) window.scrollBy(0, off);
    // Counted as settled when in place, or when the page cannot scroll further (its end).
    if (Math.abs(off) < 1 || window.scrollY === y) still += 1;
    else still = 0;
    frames += 1;
    if (still < 10 && frames < 120) requestAnimationFrame(check);
    else ctrl.abort();
  };
  check();
}

function initPaging() {
  const layout = $(".sa-layout");
  const nav = $("#sa-domains");
  const sections = $$("section.sa-domain");
  if (!layout || !nav || sections.length < 2) return;
  const narrow = window.matchMedia("(max-width: 1000px)");
  const L = layout.dataset;
  const status = $("#sa-status");
  const total = L.total || "";
  const title = (section) => $("h2", section)?.textContent.trim() || "";

  const toggle = el("button", {
    type: "button",
    class: "btn sa-menu-toggle",
    "aria-expanded": "false",
    "aria-controls": "sa-domains",
  });
  const count = el("span", { class: "sa-bar-count" }, el("span", { "data-sa-count": "", text: $("#sa-count")?.textContent || "0" }), `/${total}`);
  const bar = el("div", { class: "sa-pagebar no-print", id: "sa-pagebar" }, toggle, count);
  const navHome = document.createComment("sa-domains");
  const statusHome = document.createComment("sa-status");
  let current = null;
  let paged = false;

  // Previous / next at the end of each domain (shown only when paged).
  sections.forEach((section, i) => {
    const links = [];
    if (i > 0) links.push(el("a", { class: "btn", href: `#${sections[i - 1].id}`, rel: "prev" }, `← ${L.prevLabel}: ${title(sections[i - 1])}`));
    if (i < sections.length - 1) links.push(el("a", { class: "btn primary", href: `#${sections[i + 1].id}`, rel: "next" }, `${L.nextLabel}: ${title(sections[i + 1])} →`));
    section.append(el("nav", { class: "sa-pager no-print", "aria-label": `${L.prevLabel} / ${L.nextLabel}` }, ...links));
  });

  function target() {
    const id = decodeURIComponent(location.hash.slice(1));
    const node = id ? document.getElementById(id) : null;
    const section = node?.closest("section.sa-domain");
    return section ? { section, node } : null;
  }
  function openMenu(open) {
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  }
  function select(section) {
    current = section;
    for (const s of sections) s.classList.toggle("is-current", s === section);
    for (const a of $$("a", nav)) {
      if (a.getAttribute("href") === `#${section.id}`) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    }
    const where = L.pagedLabel.replace("__n__", String(sections.indexOf(section) + 1));
    toggle.replaceChildren(
      el("span", { class: "sa-menu-where", text: where }),
      el("span", { class: "sa-menu-title", text: title(section) }),
      el("span", { class: "sa-menu-caret", "aria-hidden": "true", text: "▾" }),
    );
  }
  function go(hit, focus) {
    select(hit.section);
    openMenu(false);
    const node = hit.node === hit.section ? $("h2", hit.section) : hit.node;
    node.scrollIntoView({ block: "start" });
    if (focus) {
      if (!node.hasAttribute("tabindex")) node.setAttribute("tabindex", "-1");
      node.focus({ preventScroll: true });
    }
    keepInPlace(node);
  }
  const toolbar = $("#sa-toolbar");
  function measure() {
    const root = document.documentElement.style;
    root.setProperty("--sa-bar-h", `${bar.offsetHeight}px`);
    // Wide screens: the domain menu sticks just below the (sticky, wrapping) toolbar.
    if (toolbar) root.setProperty("--sa-toolbar-h", `${toolbar.offsetHeight}px`);
  }
  function enter() {
    paged = true;
    layout.classList.add("is-paged");
    layout.before(bar);
    nav.before(navHome);
    bar.append(nav);
    if (status) {
      status.before(statusHome);
      count.after(status);
    }
    const hit = target();
    select(hit ? hit.section : current || sections[0]);
    if (hit) go(hit, false);
    measure();
  }
  function leave() {
    paged = false;
    layout.classList.remove("is-paged");
    openMenu(false);
    navHome.replaceWith(nav);
    if (status && statusHome.parentNode) statusHome.replaceWith(status);
    bar.remove();
    for (const s of sections) s.classList.remove("is-current");
    if (current) current.scrollIntoView({ block: "start" });
  }
  function apply() {
    if (narrow.matches && !paged) enter();
    else if (!narrow.matches && paged) leave();
  }

  toggle.addEventListener("click", () => openMenu(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      openMenu(false);
      toggle.focus();
    }
  });
  // A link to the domain already in the address bar changes no hash: handle it here too.
  // On the whole page the browser jumps to the link's target itself (then it is kept in place).
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.('a[href^="#"]');
    if (!link || link.getAttribute("href") !== location.hash) return;
    const hit = target();
    if (!hit) return;
    if (paged) {
      event.preventDefault();
      go(hit, true);
    } else {
      setTimeout(() => keepInPlace(hit.node), 0);
    }
  });
  window.addEventListener("hashchange", () => {
    const hit = target();
    if (hit && paged) go(hit, true);
    else if (hit) keepInPlace(hit.node);
  });
  narrow.addEventListener("change", apply);
  if ("ResizeObserver" in window) {
    const observer = new ResizeObserver(measure);
    observer.observe(bar);
    if (toolbar) observer.observe(toolbar);
  }
  apply();
  // Opened at a link to a standard on the whole page: the browser has jumped there while loading.
  if (!paged && target()) {
    const settle = () => keepInPlace(target().node);
    if (document.readyState === "complete") settle();
    else window.addEventListener("load", settle, { once: true });
  }
}

const configNode = document.getElementById("sa-config");
if (configNode) initAssessment(JSON.parse(configNode.textContent));
initPaging();
initCharts();
