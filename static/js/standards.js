// Standards library: filters apply as soon as they change, print buttons, confirmations.
// Progressive enhancement only: every form works without this file.

document.documentElement.classList.add("js");

for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  for (const select of form.querySelectorAll("select")) {
    select.addEventListener("change", () => form.requestSubmit());
  }
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// Focus the list of problems of a failed import so screen readers and keyboards land there.
const problems = document.getElementById("problems");
if (problems) problems.focus();
