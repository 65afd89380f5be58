// The one plotly configuration of KvIP: every chart is drawn through KvipCharts.draw().
// - No cloud: no "Share chart…", no "Edit in Chart Studio", no link to plotly, no logo, and an
//   empty server URL (coordinator charts carry real unit names; the CSP's connect-src 'self'
//   would block an upload anyway). Download as image is kept.
// - The toolbar and dates in the page's language (<html lang>): our own Norwegian bokmål (nb)
//   plotly locale below, en-GB for English; number separators per language in each figure's
//   layout (nb: decimal comma, no-break space between thousands, as the tables show numbers).
// A classic script (loaded after vendor/plotly-cartesian.min.js, before the page's own script), so both
// classic scripts and ES modules can use window.KvipCharts.
(function () {
  "use strict";

  var NB = {
    moduleType: "locale",
    name: "nb",
    dictionary: {
      // modebar
      "Autoscale": "Tilpass aksene automatisk",
      "Box Select": "Velg med rektangel",
      "Compare data on hover": "Sammenlign verdiene ved peking",
      "Download plot": "Last ned diagrammet",
      "Download plot as a PNG": "Last ned diagrammet som PNG-bilde",
      "Download plot as JSON": "Last ned diagrammet som JSON",
      "Lasso Select": "Velg med lasso",
      "Orbital rotation": "Roter fritt",
      "Pan": "Flytt",
      "Reset": "Tilbakestill",
      "Reset axes": "Tilbakestill aksene",
      "Reset camera to default": "Tilbakestill kameraet",
      "Reset camera to last save": "Tilbakestill kameraet til sist lagret",
      "Reset view": "Tilbakestill visningen",
      "Reset views": "Tilbakestill visningene",
      "Show closest data on hover": "Vis nærmeste verdi ved peking",
      "Toggle Spike Lines": "Slå hjelpelinjer av eller på",
      "Toggle show closest data on hover": "Slå visning av nærmeste verdi av eller på",
      "Turntable rotation": "Roter som en dreieskive",
      "Zoom": "Zoom",
      "Zoom in": "Zoom inn",
      "Zoom out": "Zoom ut",
      // what the charts say while working
      "Double-click on legend to isolate one trace": "Dobbeltklikk på forklaringen for å vise bare én serie",
      "Double-click to zoom back out": "Dobbeltklikk for å zoome ut igjen",
      "Image download succeeded": "Bildet er lastet ned",
      "JSON download succeeded": "JSON-filen er lastet ned",
      "Preparing image - this may take a few seconds": "Lager bildet – dette kan ta noen sekunder",
      "Sorry, there was a problem downloading your image!": "Beklager, bildet kunne ikke lastes ned.",
      "Sorry, there was a problem downloading your JSON file!": "Beklager, JSON-filen kunne ikke lastes ned.",
      // hover labels of the trace types we draw (box, bar, scatter, heatmap)
      "lower fence:": "nedre grense:",
      "max:": "maks:",
      "mean:": "gjennomsnitt:",
      "mean ± σ:": "gjennomsnitt ± σ:",
      "median:": "median:",
      "min:": "min:",
      "q1:": "1. kvartil:",
      "q3:": "3. kvartil:",
      "upper fence:": "øvre grense:",
      "new text": "ny tekst",
      "trace": "serie",
    },
    format: {
      days: ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
      shortDays: ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
      months: [
        "januar", "februar", "mars", "april", "mai", "juni",
        "juli", "august", "september", "oktober", "november", "desember",
      ],
      shortMonths: ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"],
      date: "%d.%m.%Y",
      decimal: ",",
      thousands: "\u00a0",
    },
  };

  var EN_GB = {
    moduleType: "locale",
    name: "en-GB",
    dictionary: {},
    format: {
      days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
      shortDays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
      months: [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
      ],
      shortMonths: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
      date: "%d/%m/%Y",
      decimal: ".",
      thousands: ",",
    },
  };

  // layout.separators: decimal mark, then the thousands separator.
  var SEPARATORS = { nb: ",\u00a0", "en-GB": ".," };

  // Modebar buttons nobody needs on our charts, and every cloud/share button plotly has had.
  var REMOVED = [
    "sendChartToCloud", "sendDataToCloud", "editInChartStudio", "downloadJson",
    "select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
  ];

  function locale() {
    var lang = (document.documentElement.getAttribute("lang") || "nb").toLowerCase();
    return lang.indexOf("en") === 0 ? "en-GB" : "nb";
  }

  var registered = false;

  function register() {
    if (!registered && window.Plotly) {
      window.Plotly.register([NB, EN_GB]);
      registered = true;
    }
  }

  function config(options) {
    var base = {
      locale: locale(),
      responsive: true,
      displaylogo: false,
      showLink: false,
      sendData: false,
      showSendToCloud: false,
      showEditInChartStudio: false,
      plotlyServerURL: "",
      linkText: "",
      showTips: false,
      modeBarButtonsToRemove: REMOVED.slice(),
      toImageButtonOptions: { format: "png", filename: "kvip-chart", scale: 2 },
    };
    var extra = options || {};
    Object.keys(extra).forEach(function (key) {
      // A page may change how a chart behaves, never bring the cloud back.
      if (!/cloud|chartstudio|link|server|senddata|logo/i.test(key)) base[key] = extra[key];
    });
    if (extra.modeBarButtonsToRemove) {
      base.modeBarButtonsToRemove = REMOVED.concat(extra.modeBarButtonsToRemove);
    }
    return base;
  }

  function layout(source) {
    var out = {};
    Object.keys(source || {}).forEach(function (key) { out[key] = source[key]; });
    if (!out.separators) out.separators = SEPARATORS[locale()];
    return out;
  }

  // Draw a figure ({data, layout} as the server built it) into an element.
  function draw(el, figure, options) {
    if (!window.Plotly) return Promise.reject(new Error("plotly.js is not loaded"));
    register();
    return window.Plotly.newPlot(el, figure.data || [], layout(figure.layout), config(options));
  }

  window.KvipCharts = { draw: draw, config: config, layout: layout, locale: locale, separators: SEPARATORS };
})();
