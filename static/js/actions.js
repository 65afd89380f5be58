// Actions module: draws the plotly figures passed as JSON (through static/js/charts.js, the one
// plotly configuration), and wires the print buttons.
// No inline script: figures come from <script type="application/json" id="...">.

function drawFigures() {
  if (!window.KvipCharts) return;
  document.querySelectorAll("[data-plotly-figure]").forEach((el) => {
    const source = document.getElementById(el.dataset.plotlyFigure);
    if (!source) return;
    try {
      window.KvipCharts.draw(el, JSON.parse(source.textContent), {
        toImageButtonOptions: { format: "png", filename: el.dataset.plotlyFigure, scale: 2 },
      });
    } catch (err) {
      el.textContent = "";
      console.error("Could not draw the chart", err);
    }
  });
}

function wirePrint() {
  document.querySelectorAll("[data-action='print']").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
}

drawFigures();
wirePrint();
