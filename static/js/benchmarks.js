// Benchmark pages: draw the server-built plotly figures (JSON in <script type="application/json">)
// and submit the selection forms when a menu changes. No inline code (CSP script-src 'self').
(function () {
  "use strict";

  function draw(el) {
    var source = document.getElementById(el.dataset.figure);
    if (!source || !window.KvipCharts || typeof window.Plotly === "undefined") {
      return;
    }
    if (el.dataset.started) {
      return; // drawn (or being drawn) already: for print, then scrolled into view
    }
    el.dataset.started = "true";
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

  // Printing: every chart is drawn first (not only those scrolled into view, so no
  // "Loading chart…" on paper), at the width of a printed page; afterwards back to the screen.
  var PRINT_WIDTH = 680; // CSS pixels: A4 less the print margins
  var printing = false;

  function beforePrint() {
    if (printing || typeof window.Plotly === "undefined") {
      return;
    }
    printing = true;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      draw(el);
      if (el.classList.contains("js-plotly-plot")) {
        window.Plotly.relayout(el, { width: PRINT_WIDTH });
      }
    });
    document.documentElement.setAttribute("data-charts-printable", "true");
  }

  function afterPrint() {
    if (!printing) {
      return;
    }
    printing = false;
    document.querySelectorAll(".js-plotly-plot[data-figure]").forEach(function (el) {
      window.Plotly.relayout(el, { width: null, autosize: true });
    });
  }

  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  if (window.matchMedia) {
    // Print emulation and some browsers' print preview announce themselves only this way.
    var printMedia = window.matchMedia("print");
    var onChange = function (event) { (event.matches ? beforePrint : afterPrint)(); };
    if (printMedia.addEventListener) printMedia.addEventListener("change", onChange);
    else if (printMedia.addListener) printMedia.addListener(onChange);
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
