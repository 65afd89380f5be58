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
