// Benchmark pages: draw the server-built plotly figures (JSON in <script type="application/json">)
// and submit the selection forms when a menu changes. No inline code (CSP script-src 'self').
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.dataset.figure);
    if (!source || !window.KvipCharts || typeof window.Plotly === "undefined") {
      return;
    }
    var fig;
    try {
      fig = JSON.parse(source.textContent);
    } catch (err) {
      el.textContent = el.dataset.error || "The chart could not be drawn; the table shows the same numbers.";
      return;
    }
    el.textContent = "";
    window.KvipCharts.draw(el, fig, {
      toImageButtonOptions: { format: "png", filename: el.dataset.filename || "kvip-chart", scale: 2 },
    }).then(function () {
      el.classList.add("drawn");
      el.setAttribute("data-drawn", "true");
    });
  }

  function drawAll() {
    var plots = document.querySelectorAll("[data-figure]");
    if (!plots.length) {
      return;
    }
    // Draw charts as they come into view: long pages stay quick on tablets.
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            seen.unobserve(entry.target);
            draw(entry.target);
          }
        });
      }, { rootMargin: "400px 0px" });
      plots.forEach(function (el) { seen.observe(el); });
    } else {
      plots.forEach(draw);
    }
  }

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
        }
      });
    });
  }

  // Charts inside a closed <details> get their size when opened.
  document.addEventListener("toggle", function (event) {
    if (event.target.open && window.Plotly) {
      event.target.querySelectorAll(".js-plotly-plot").forEach(function (el) {
        window.Plotly.Plots.resize(el);
      });
    }
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); autosubmit(); });
  } else {
    drawAll();
    autosubmit();
  }
})();
