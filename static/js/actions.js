// Actions module: draws the plotly figures passed as JSON, and wires the print buttons.
// No inline script: figures come from <script type="application/json" id="...">.

function drawFigures() {
  if (!window.Plotly) return;
  document.querySelectorAll("[data-plotly-figure]").forEach((el) => {
    const source = document.getElementById(el.dataset.plotlyFigure);
    if (!source) return;
    try {
      const figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        displayModeBar: false,
        responsive: true,
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
