// Findings of a visit (templates/visits/consolidate.html): one domain at a time below 1000 px.
// The domain links (each with its count of standards needing a decision) stay at the top of the
// screen (visits.css); this script shows only the chosen domain. Links to #cd-<domain> or
// #std-<standard> – also the one a "Resolve"/"Save" post returns to – open that domain, and the
// browser's back button goes to the previous one. Wide screens, printing (the CSS hides domains
// only on screens) and browsers without JavaScript keep the whole page. Same pattern as the
// self-assessment (cycles.js initPaging), much smaller: no menu, the links are the bar.

const list = document.getElementById("cons-domain-list");
const nav = document.getElementById("cons-domains");
const sections = list ? [...list.querySelectorAll("section.cons-domain")] : [];

function initPaging() {
  const narrow = window.matchMedia("screen and (max-width: 1000px)");
  const links = [...nav.querySelectorAll('a[href^="#"]')];
  const row = nav.querySelector("ul");
  let current = null;
  let paged = false;
  // The message of a post ("saved", "changed in the meantime") would be far above the row the
  // page returns to: while paged it shows in the bar until another domain is chosen.
  const flashes = document.querySelector(".flashes");
  const flashHome = document.createComment("flashes");
  function flashToBar(show) {
    if (!flashes) return;
    if (show && !flashHome.parentNode) {
      flashes.before(flashHome);
      nav.append(flashes);
    } else if (!show && flashHome.parentNode) {
      flashHome.replaceWith(flashes);
    }
  }

  function target() {
    let id = "";
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch {
      return null;
    }
    const node = id ? document.getElementById(id) : null;
    const section = node?.closest("section.cons-domain");
    return section ? { section, node } : null;
  }
  function select(section) {
    if (current && section !== current) flashToBar(false);
    current = section;
    const href = `#${section.querySelector("h2").id}`;
    for (const s of sections) s.classList.toggle("is-current", s === section);
    for (const a of links) {
      if (a.getAttribute("href") !== href) {
        a.removeAttribute("aria-current");
        continue;
      }
      a.setAttribute("aria-current", "true");
      // Bring the chosen link into the sideways-scrolling row.
      const li = a.parentElement;
      if (li.offsetLeft < row.scrollLeft || li.offsetLeft + li.offsetWidth > row.scrollLeft + row.clientWidth) {
        row.scrollLeft = li.offsetLeft - row.offsetLeft;
      }
    }
  }
  function go(hit, focus) {
    select(hit.section);
    const node = hit.node === hit.section ? hit.section.querySelector("h2") : hit.node;
    node.scrollIntoView({ block: "start" });
    if (focus) {
      if (!node.hasAttribute("tabindex")) node.setAttribute("tabindex", "-1");
      node.focus({ preventScroll: true });
    }
  }
  function measure() {
    document.documentElement.style.setProperty("--cons-bar-h", `${nav.offsetHeight}px`);
  }
  function apply() {
    if (narrow.matches && !paged) {
      paged = true;
      list.classList.add("is-paged");
      const hit = target();
      select(hit ? hit.section : current || sections[0]);
      if (hit) flashToBar(true);
      measure();
      if (hit) go(hit, false);
    } else if (!narrow.matches && paged) {
      paged = false;
      list.classList.remove("is-paged");
      flashToBar(false);
      for (const s of sections) s.classList.remove("is-current");
      for (const a of links) a.removeAttribute("aria-current");
      if (current) current.scrollIntoView({ block: "start" });
    }
  }

  // A link to the place already in the address bar changes no hash: handle it here too.
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.('a[href^="#"]');
    if (!paged || !link || link.getAttribute("href") !== location.hash) return;
    const hit = target();
    if (!hit) return;
    event.preventDefault();
    go(hit, true);
  });
  window.addEventListener("hashchange", () => {
    const hit = target();
    if (hit && paged) go(hit, true);
  });
  narrow.addEventListener("change", apply);
  if ("ResizeObserver" in window) new ResizeObserver(measure).observe(nav);
  apply();
}

if (list && nav && sections.length > 1) initPaging();
