// Compact main navigation for narrow screens (tablets in portrait, phones).
//
// Loaded as a plain script in <head> so the "js" class is on <html> before the first paint:
// the stylesheet hides the navigation behind the "Menu" button only when this script runs,
// so without it (or offline before it is cached) the full navigation shows, and with it the
// page never shows the full navigation first and then jumps.
document.documentElement.classList.add("js");

function wireMenu() {
  const button = document.querySelector("[data-menu-toggle]");
  if (!button) return;
  const nav = document.getElementById(button.getAttribute("aria-controls"));
  if (!nav) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
  }

  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes the menu from the button or any of its links, and gives focus back.
  function closeOnEscape(event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  }
  button.addEventListener("keydown", closeOnEscape);
  nav.addEventListener("keydown", closeOnEscape);

  // Returning to the page from the back/forward cache: start closed, like a fresh load.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) setOpen(false);
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", wireMenu);
} else {
  wireMenu();
}

// Wide tables (table_scroll in templates/_macros.html): show the "scroll sideways" cue only
// when the table is wider than its box, a shadow on the edge with more columns, and one on the
// sticky first column once scrolled.
function wireWideTables() {
  const boxes = document.querySelectorAll("[data-table-scroll]");
  if (!boxes.length) return;
  function update(wrap) {
    const box = wrap.querySelector(".table-scroll-box");
    const cue = wrap.querySelector("[data-table-cue]");
    if (!box) return;
    const wide = box.scrollWidth > box.clientWidth + 1;
    if (cue) cue.hidden = !wide;
    wrap.toggleAttribute("data-more", wide && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
    wrap.toggleAttribute("data-scrolled", wide && box.scrollLeft > 0);
  }
  const observer = "ResizeObserver" in window ? new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target.closest("[data-table-scroll]"));
  }) : null;
  for (const wrap of boxes) {
    const box = wrap.querySelector(".table-scroll-box");
    if (!box) continue;
    box.addEventListener("scroll", () => update(wrap), { passive: true });
    if (observer) observer.observe(box);
    update(wrap);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", wireWideTables);
} else {
  wireWideTables();
}

// Offline: one service worker for the whole app, registered from every page, so a tablet that
// loses the network gets a KvIP page saying what is stored on it, never the browser's error
// page (see static/js/visits-sw.js). It learns the page's language for that page.
function registerOfflineWorker() {
  const meta = document.querySelector('meta[name="kvip-sw"]');
  if (!meta || !("serviceWorker" in navigator)) return;
  const scope = new URL(meta.dataset.scope, window.location.href).href;
  const lang = document.documentElement.lang;
  navigator.serviceWorker
    .register(meta.content, { scope: meta.dataset.scope })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      if (registration.active) registration.active.postMessage({ type: "lang", lang });
      // Workers registered for /visits/ only by earlier versions: the app-wide one replaces them.
      return navigator.serviceWorker.getRegistrations();
    })
    .then((registrations) => {
      for (const r of registrations) if (r.scope !== scope) r.unregister();
    })
    .catch(() => {});
}

window.addEventListener("load", registerOfflineWorker);
