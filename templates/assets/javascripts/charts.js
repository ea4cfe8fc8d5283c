/* Draw the page's plotly charts from their embedded JSON, on a direct load and after every
   instant navigation (Material's document$), and follow the light/dark palette switch. Each drawn
   chart also gets its printed form: a static image, shown only in print (print.css). */
(function () {
  "use strict";

  // plotly.js is loaded only on a page with a chart, once (then cached by the browser)
  var PLOTLY = document.currentScript.src.replace(/charts\.js(\?.*)?$/, "plotly/plotly-basic.min.js");
  var loading = null;

  // Resolves once plotly.js is there (rejects if it cannot load), then runs `callback`, if given.
  function withPlotly(callback) {
    if (window.Plotly) return Promise.resolve().then(callback);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY;
        script.onload = resolve;
        script.onerror = function () { loading = null; reject(new Error("plotly.js did not load")); };
        document.head.appendChild(script);
      });
    }
    return loading.then(callback);
  }

  function plotlyText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  var EXPORT_WIDTH = 900; // px: the image is drawn wide whatever the screen, so its title fits
  var EXPORT_CHARS = 110; // characters of a title line at that width

  // Plain text in lines of at most `width` characters, broken at spaces.
  function wrapLines(text, width) {
    var lines = [];
    var line = "";
    String(text).split(/\s+/).filter(Boolean).forEach(function (word) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines;
  }

  // The image a reader downloads carries what the page says around the chart: its title, the study
  // or comparison, and how the intervals were computed. It is drawn in its wide layout, at a fixed
  // width, on the page's background colour (a dark page gives a dark image with light text).
  function downloadImage(element) {
    var mode = element.getAttribute("data-layout") || widthMode(element); // drawn so again afterwards
    var layout = layoutFor(element, "wide");
    var top = layout.margin.t;
    var height = layout.height;
    var lines = [];
    ["data-export-title", "data-export-source", "data-export-method"].forEach(function (name) {
      lines = lines.concat(wrapLines(element.getAttribute(name) || "", EXPORT_CHARS));
    });
    var extra = 20 * lines.length + 16; // room above the plot for the title's lines
    var bg = getComputedStyle(document.body).getPropertyValue("--md-default-bg-color").trim() || "#ffffff";
    var exported = themeUpdate(layout);
    Object.assign(exported, {
      "title.text": lines.map(plotlyText).join("<br>"), "title.font.size": 14, "title.x": 0.01,
      "title.xanchor": "left", "title.yref": "container", "title.yanchor": "top",
      "title.y": 1 - 24 / (height + extra), "margin.t": top + extra, height: height + extra,
      width: EXPORT_WIDTH, paper_bgcolor: bg, plot_bgcolor: bg
    });
    return window.Plotly.react(element, element.data, layout)
      .then(function () { return window.Plotly.relayout(element, exported); })
      .then(function () {
        return window.Plotly.downloadImage(element, {
          format: "png", scale: 2, filename: element.getAttribute("data-export-file") || "chart"
        });
      })
      .finally(function () {
        // as it was, following its element's width again (a set width and height had fixed it)
        return window.Plotly.react(element, element.data, layoutFor(element, mode)).then(function () {
          return window.Plotly.relayout(element, themeUpdate(element.layout));
        });
      });
  }

  // The page's colours as its palette sets them now.
  function pageColours() {
    var style = getComputedStyle(document.body);
    return {
      fg: style.getPropertyValue("--md-default-fg-color").trim() || "#000000",
      grid: style.getPropertyValue("--md-default-fg-color--lightest").trim() || "#dddddd",
      bg: style.getPropertyValue("--md-default-bg-color").trim() || "#ffffff"
    };
  }

  // The layout's colours for a palette (the page's, unless `colours` are given), as plotly paths.
  function themeUpdate(layout, colours) {
    var palette = colours || pageColours();
    var fg = palette.fg;
    var grid = palette.grid;
    var bg = palette.bg;
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
    // the line of no effect of an effect or forest plot reads as text does, in either palette
    (layout.shapes || []).forEach(function (shape, index) {
      if (shape.name === "no-effect") update["shapes[" + index + "].line.color"] = fg;
    });
    return update;
  }

  // Set a value at a plotly attribute path ("yaxis2.domain", "annotations[0].y") in a layout object.
  function setPath(layout, path, value) {
    var parts = path.split(".");
    var target = layout;
    parts.forEach(function (part, index) {
      var found = /^(\w+)(?:\[(\d+)\])?$/.exec(part);
      var key = found[1];
      var last = index === parts.length - 1;
      if (found[2] !== undefined) {
        target = target[key] = target[key] || [];
        key = Number(found[2]);
      }
      if (last) target[key] = value;
      else target = target[key] = target[key] || {};
    });
  }

  // A layout for the element's width: wrapped labels, a smaller font and a taller plot when narrow
  // (both come with the figure; the generator wraps and escapes their text). Drawn again with
  // Plotly.react from the figure as generated, so the chart stays as wide as its element.
  function fitWidth(element) {
    var figure = element._evFigure;
    // not drawn yet, or hidden (the table is shown): fitted when shown again
    if (!figure || !figure.narrow || !element.layout || !element.offsetWidth) return Promise.resolve();
    var mode = widthMode(element);
    if (element.getAttribute("data-layout") === mode) return Promise.resolve();
    return window.Plotly.react(element, element.data, layoutFor(element, mode)).then(function () {
      return window.Plotly.relayout(element, themeUpdate(element.layout));
    });
  }

  function widthMode(element) {
    var width = element.offsetWidth; // 0 while hidden: drawn wide, fitted on the next resize
    return width && width < (element._evFigure.narrowWidth || 600) ? "narrow" : "wide";
  }

  // A copy of the figure's layout as generated, with the updates (plotly paths) for a narrow or a wide
  // element applied.
  function generatedLayout(element, mode) {
    var figure = JSON.parse(element.getAttribute("data-figure"));
    var update = (mode === "narrow" ? figure.narrow : figure.wide) || {};
    Object.keys(update).forEach(function (path) { setPath(figure.layout, path, update[path]); });
    return figure.layout;
  }

  // The figure's layout as generated, for a narrow or a wide element (and marked so on the element).
  function layoutFor(element, mode) {
    var layout = generatedLayout(element, mode);
    layout.dragmode = mode === "narrow" ? false : "zoom"; // on a phone a drag scrolls the page
    element.setAttribute("data-layout", mode);
    // nothing to reset where dragging is off (a drag scrolls the page)
    if (element._evReset) element._evReset.hidden = mode === "narrow";
    return layout;
  }

  // Back to the axes the chart was drawn with.
  function resetView(element) {
    var drawn = element._evRanges;
    var update = {};
    Object.keys(element.layout).forEach(function (key) {
      if (!/^[xy]axis\d*$/.test(key)) return;
      if (drawn[key]) update[key + ".range"] = drawn[key].slice();
      else update[key + ".autorange"] = true;
    });
    return window.Plotly.relayout(element, update);
  }

  // The axes' ranges as the generator set them (plotly changes the layout object it is given).
  function initialRanges(layout) {
    var ranges = {};
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key) && layout[key].range) ranges[key] = layout[key].range.slice();
    });
    return ranges;
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "ev-chart-button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // Whether the table view is wider than its box, and on which side more columns lie.
  function watchScroll(scroller, hint) {
    function update() {
      var overflows = scroller.scrollWidth > scroller.clientWidth + 1;
      var left = Math.abs(scroller.scrollLeft);
      scroller.classList.toggle("ev-overflows", overflows);
      scroller.classList.toggle("ev-more-left", overflows && left > 1);
      scroller.classList.toggle("ev-more-right", overflows && left + scroller.clientWidth < scroller.scrollWidth - 1);
      hint.hidden = !overflows;
    }
    scroller.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    return update;
  }

  // The chart's points as a table: text from the generator's JSON, set with textContent only. It
  // scrolls sideways in its own box, a named region that takes focus (arrow keys scroll it).
  function pointsTable(element, id) {
    var table = element._evFigure.table;
    var title = element.getAttribute("data-export-title") || "";
    var wrap = document.createElement("div");
    wrap.className = "ev-chart-table";
    wrap.id = id;
    wrap.hidden = true;
    var hint = document.createElement("p");
    hint.className = "ev-chart-table-hint";
    hint.textContent = "Scroll sideways for more columns \u2192";
    hint.hidden = true;
    var scroller = document.createElement("div");
    scroller.className = "ev-chart-table-scroll";
    scroller.tabIndex = 0;
    scroller.setAttribute("role", "region");
    scroller.setAttribute("aria-label", title + ": table");
    wrap._evUpdate = watchScroll(scroller, hint);
    var t = document.createElement("table");
    var caption = document.createElement("caption");
    caption.textContent = title;
    t.appendChild(caption);
    var head = t.createTHead().insertRow();
    table.columns.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    });
    var body = t.createTBody();
    table.rows.forEach(function (cells) {
      var row = body.insertRow();
      cells.forEach(function (text, index) {
        var cell = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) cell.scope = "row";
        cell.textContent = text;
        row.appendChild(cell);
      });
    });
    scroller.appendChild(t);
    wrap.appendChild(hint);
    wrap.appendChild(scroller);
    return wrap;
  }

  // Beside the chart (never inside its role=img element): download, reset, and the table view.
  function addToolbar(element) {
    var holder = element.parentNode;
    if (!holder || holder.querySelector(".ev-chart-tools")) return;
    var bar = document.createElement("div");
    bar.className = "ev-chart-tools";
    bar.setAttribute("role", "group"); // a few buttons, each a tab stop
    bar.setAttribute("aria-label", "Chart: " + (element.getAttribute("data-export-title") || ""));
    bar.appendChild(button("Download PNG", function () { downloadImage(element); }));
    var reset = button("Reset view", function () { resetView(element); });
    element._evReset = reset;
    reset.hidden = element.getAttribute("data-layout") === "narrow";
    bar.appendChild(reset);
    if (element._evFigure.table) {
      var table = pointsTable(element, element.id + "-table");
      var toggle = button("Table view", function () {
        var showTable = toggle.getAttribute("aria-pressed") !== "true";
        toggle.setAttribute("aria-pressed", String(showTable));
        table.hidden = !showTable;
        element.hidden = showTable;
        if (showTable) table._evUpdate();
        reset.disabled = showTable;
        if (!showTable) { // the window may have changed while the chart was hidden
          if (element.getAttribute("data-layout") === widthMode(element)) {
            window.Plotly.relayout(element, { autosize: true });
          } else {
            fitWidth(element);
          }
        }
      });
      toggle.setAttribute("aria-pressed", "false");
      toggle.setAttribute("aria-controls", table.id);
      bar.appendChild(toggle);
      holder.appendChild(table);
    }
    holder.insertBefore(bar, element);
  }

  // ---- Print: each chart as a static SVG image, in the light palette whatever the screen's (paper is
  // light), at A4's printable width (print.css's page margins), so that the page prints it whole. A
  // chart taller than a page prints in parts, cut between its rows, each with the chart's axis below.
  var PRINT_WIDTH = 680; // px: 180 mm, the width between print.css's page margins
  var PRINT_PART = 960; // px: the most of a page one part takes (A4's printable height is 1,009 px)
  var PRINT_COLOURS = { fg: "#000000de", grid: "#00000026", bg: "#ffffff" }; // the light palette's, on paper
  var SVG_NS = "http://www.w3.org/2000/svg";

  function printFigure(element) {
    var layout = generatedLayout(element, "wide");
    var colours = themeUpdate(layout, PRINT_COLOURS);
    Object.keys(colours).forEach(function (path) { setPath(layout, path, colours[path]); });
    Object.assign(layout, {
      autosize: false, width: PRINT_WIDTH, paper_bgcolor: PRINT_COLOURS.bg, plot_bgcolor: PRINT_COLOURS.bg
    });
    return { data: JSON.parse(element.getAttribute("data-figure")).data, layout: layout };
  }

  // Where a tall chart is cut into parts: lines that cross no text and no point, each part at most
  // PRINT_PART high with the axis strip (the plot's foot to the chart's foot) added below it.
  function printCuts(plot, height) {
    var top = plot.getBoundingClientRect().top;
    var layout = plot._fullLayout;
    var lowest = Math.min.apply(null, Object.keys(layout).filter(function (key) {
      return /^yaxis\d*$/.test(key) && layout[key].domain;
    }).map(function (key) { return layout[key].domain[0]; }).concat([1]));
    var axisTop = Math.floor(layout._size.t + layout._size.h * (1 - lowest)); // the lowest plot's foot
    var strip = height - axisTop;
    if (height <= PRINT_PART || strip > PRINT_PART / 3) return { cuts: [], axisTop: axisTop };
    var taken = Array.prototype.map.call(plot.querySelectorAll("text, .point, .errorbars path"), function (mark) {
      var box = mark.getBoundingClientRect();
      return [box.top - top, box.bottom - top];
    });
    function free(y) { return taken.every(function (span) { return y < span[0] - 1 || y > span[1] + 1; }); }
    var cuts = [];
    var from = 0;
    while (axisTop - from > PRINT_PART - strip) {
      var y = Math.min(from + PRINT_PART - strip, axisTop);
      while (y > from + 100 && !free(y)) y -= 1;
      if (y <= from + 100) y = from + PRINT_PART - strip; // no free line: cut where the part is full
      cuts.push(y);
      from = y;
    }
    return { cuts: cuts, axisTop: axisTop };
  }

  // An SVG showing the bands [from, to) of the chart's SVG, one below the other (the chart once, in
  // <defs>, shown through each band's viewBox).
  function svgBands(svg, bands) {
    var doc = new DOMParser().parseFromString(svg, "image/svg+xml");
    var chart = doc.documentElement;
    chart.setAttribute("id", "ev-chart");
    var height = bands.reduce(function (sum, band) { return sum + band[1] - band[0]; }, 0);
    var root = doc.createElementNS(SVG_NS, "svg");
    root.setAttribute("width", PRINT_WIDTH);
    root.setAttribute("height", height);
    root.setAttribute("viewBox", "0 0 " + PRINT_WIDTH + " " + height);
    var defs = doc.createElementNS(SVG_NS, "defs");
    root.appendChild(defs);
    var y = 0;
    bands.forEach(function (band) {
      var view = doc.createElementNS(SVG_NS, "svg");
      view.setAttribute("y", y);
      view.setAttribute("width", PRINT_WIDTH);
      view.setAttribute("height", band[1] - band[0]);
      view.setAttribute("viewBox", "0 " + band[0] + " " + PRINT_WIDTH + " " + (band[1] - band[0]));
      var use = doc.createElementNS(SVG_NS, "use");
      use.setAttribute("href", "#ev-chart");
      view.appendChild(use);
      root.appendChild(view);
      y += band[1] - band[0];
    });
    doc.replaceChild(root, chart);
    defs.appendChild(chart);
    return "data:image/svg+xml," + encodeURIComponent(new XMLSerializer().serializeToString(doc));
  }

  // The printed images of a chart: one, or for a tall chart one a part, each but the last with the
  // axis strip below it.
  function printSources(url, height, parts) {
    if (!parts.cuts.length) return [url];
    var svg = decodeURIComponent(url.slice(url.indexOf(",") + 1));
    var edges = [0].concat(parts.cuts, [height]);
    return parts.cuts.concat([height]).map(function (to, index) {
      var band = [edges[index], to];
      return index === parts.cuts.length ? svgBands(svg, [band]) : svgBands(svg, [band, [parts.axisTop, height]]);
    });
  }

  // Drawn off screen once, at the printed width, to find where a tall chart is cut, then made an image.
  function printSvg(figure) {
    var plot = document.createElement("div");
    plot.style.cssText = "position:absolute;left:-10000px;top:0;width:" + PRINT_WIDTH + "px";
    plot.setAttribute("aria-hidden", "true");
    document.body.appendChild(plot);
    var height = figure.layout.height;
    return window.Plotly.newPlot(plot, figure.data, figure.layout, { staticPlot: true }).then(function () {
      var parts = printCuts(plot, height);
      return window.Plotly.toImage(plot, { format: "svg", width: PRINT_WIDTH, height: height }).then(function (url) {
        return printSources(url, height, parts);
      });
    }).finally(function () {
      window.Plotly.purge(plot);
      plot.remove();
    });
  }

  // The chart's printed images, made once, after the chart (beside it: the chart is not touched);
  // its figure is marked .ev-print-ready, which hides the live chart in print.
  function printImage(element) {
    if (element._evPrint) return element._evPrint;
    element._evPrint = printSvg(printFigure(element)).then(function (sources) {
      var after = element;
      var images = sources.map(function (source, index) {
        var image = document.createElement("img");
        image.className = "ev-chart-print";
        image.alt = index ? "" : element.getAttribute("data-export-title") || ""; // the parts after the first go on
        image.src = source;
        after.parentNode.insertBefore(image, after.nextSibling);
        after = image;
        return image.decode ? image.decode() : Promise.resolve();
      });
      return Promise.all(images).then(function () {
        element.parentNode.classList.add("ev-print-ready");
        element.setAttribute("data-print-ready", "true");
      });
    }).catch(function () {
      element._evPrint = null; // made again when asked next
    });
    return element._evPrint;
  }

  // Resolves once every chart of the page has its printed image (print.js waits on it to print).
  function printReady() {
    var charts = document.querySelectorAll("div.ev-chart[data-chart]");
    if (!charts.length) return Promise.resolve();
    return withPlotly(function () {
      return Promise.all(Array.prototype.map.call(charts, printImage));
    });
  }
  window.evCharts = { printReady: printReady };

  function drawChart(element) {
    if (element.getAttribute("data-drawn") === "true" || element.getAttribute("data-drawing")) return;
    element.setAttribute("data-drawing", "true");
    element.tabIndex = 0; // reachable by keyboard; its caption and table describe it
    var figure = JSON.parse(element.getAttribute("data-figure"));
    element._evFigure = figure;
    element._evRanges = initialRanges(figure.layout);
    window.Plotly.newPlot(element, figure.data, layoutFor(element, widthMode(element)), {
      responsive: false, // resized here: plotly's own resizing forgets the chart's height
      displaylogo: false,
      displayModeBar: false // the page's own toolbar sits beside the chart, outside role=img
    }).then(function () {
      addToolbar(element);
      return fitWidth(element); // in case the width changed while it was drawn
    }).then(function () {
      return window.Plotly.relayout(element, themeUpdate(element.layout));
    }).then(function () {
      element.setAttribute("data-drawn", "true");
      element.removeAttribute("data-drawing");
      printImage(element);
    }, function () {
      element.removeAttribute("data-drawing"); // drawn again on the next page event
    });
  }

  function drawAll() {
    var charts = document.querySelectorAll("div.ev-chart[data-chart]");
    if (charts.length) withPlotly(function () { charts.forEach(drawChart); });
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      document.querySelectorAll("div.ev-chart[data-drawn='true']").forEach(function (element) {
        if (!element.offsetWidth) return;
        element.setAttribute("data-fitting", "true");
        var fitted = element.getAttribute("data-layout") === widthMode(element)
          ? window.Plotly.relayout(element, { autosize: true }) // the new width, the same height
          : fitWidth(element);
        fitted.finally(function () { element.removeAttribute("data-fitting"); });
      });
    }, 100);
  });

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
