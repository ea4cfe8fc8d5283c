/* Draw the page's plotly charts from their embedded JSON, on a direct load and after every
   instant navigation (Material's document$), and follow the light/dark palette switch. */
(function () {
  "use strict";

  // plotly.js is loaded only on a page with a chart, once (then cached by the browser)
  var PLOTLY = document.currentScript.src.replace(/charts\.js(\?.*)?$/, "plotly/plotly-basic.min.js");
  var loading = null;

  function withPlotly(callback) {
    if (window.Plotly) return callback();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY;
        script.onload = resolve;
        script.onerror = function () { loading = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(script);
      });
    }
    loading.then(callback);
  }

  function plotlyText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  // The image a reader downloads carries what the page says around the chart: its title, the study
  // or comparison, and how the intervals were computed.
  function downloadImage(element) {
    var top = element.layout.margin.t;
    var lines = ["data-export-title", "data-export-source", "data-export-method"]
      .map(function (name) { return element.getAttribute(name); })
      .filter(Boolean)
      .map(plotlyText);
    var title = lines.join("<br>");
    lines = lines.length;
    return window.Plotly.relayout(element, { "title.text": title, "title.x": 0, "margin.t": top + 24 * lines })
      .then(function () {
        return window.Plotly.downloadImage(element, {
          format: "png", scale: 2, filename: element.getAttribute("data-chart") || "chart"
        });
      })
      .finally(function () {
        return window.Plotly.relayout(element, { "title.text": "", "margin.t": top });
      });
  }

  function themeUpdate(layout) {
    var style = getComputedStyle(document.body);
    var fg = style.getPropertyValue("--md-default-fg-color").trim() || "#000000";
    var grid = style.getPropertyValue("--md-default-fg-color--lightest").trim() || "#dddddd";
    var bg = style.getPropertyValue("--md-default-bg-color").trim() || "#ffffff";
    var update = { "font.color": fg, "hoverlabel.bgcolor": bg, "hoverlabel.font.color": fg };
    Object.keys(layout || {}).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = grid;
        update[key + ".linecolor"] = grid;
        update[key + ".zerolinecolor"] = grid;
      }
    });
    (layout.annotations || []).forEach(function (_, index) {
      update["annotations[" + index + "].font.color"] = fg;
    });
    return update;
  }

  function drawChart(element) {
    if (element.getAttribute("data-drawn") === "true" || element.getAttribute("data-drawing")) return;
    element.setAttribute("data-drawing", "true");
    element.tabIndex = 0; // reachable by keyboard; its caption and table describe it
    var figure = JSON.parse(element.getAttribute("data-figure"));
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true,
      displaylogo: false,
      // only what helps a reader: an image to download and a reset; nothing sends data anywhere
      modeBarButtons: [[
        { name: "Download the chart as an image (PNG)", icon: window.Plotly.Icons.camera, click: downloadImage },
        "resetScale2d"
      ]]
    }).then(function () {
      element.setAttribute("data-drawn", "true");
      return window.Plotly.relayout(element, themeUpdate(element.layout));
    }, function () {
      element.removeAttribute("data-drawing"); // drawn again on the next page event
    });
  }

  function drawAll() {
    var charts = document.querySelectorAll("div.ev-chart[data-chart]");
    if (charts.length) withPlotly(function () { charts.forEach(drawChart); });
  }

  function followPalette() {
    new MutationObserver(function () {
      if (!window.Plotly) return;
      document.querySelectorAll("div.ev-chart[data-drawn='true']").forEach(function (element) {
        window.Plotly.relayout(element, themeUpdate(element.layout));
      });
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }

  // After each instant navigation (Material's document$), and on a page opened directly: opened as a
  // file (the offline copy), document$ may have completed before this script ran.
  if (window.document$) {
    window.document$.subscribe(drawAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  followPalette();
})();
