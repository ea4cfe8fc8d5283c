/* Draw the page's plotly charts from their embedded JSON, on a direct load and after every
   instant navigation (Material's document$), and follow the light/dark palette switch. */
(function () {
  "use strict";

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
      modeBarButtonsToRemove: ["sendDataToCloud"]
    }).then(function () {
      element.setAttribute("data-drawn", "true");
      return window.Plotly.relayout(element, themeUpdate(element.layout));
    }, function () {
      element.removeAttribute("data-drawing"); // drawn again on the next page event
    });
  }

  function drawAll() {
    document.querySelectorAll("div.ev-chart[data-chart]").forEach(drawChart);
  }

  function followPalette() {
    new MutationObserver(function () {
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
