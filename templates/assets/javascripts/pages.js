/* The audit page's collapsed lists (the passed checks, the figures): a box above each table that
   filters its rows by their text, words in any order. Runs on a direct load and after every instant
   navigation (Material's document$). Without JavaScript each list is complete and opens by a click;
   a figure's link opens its list at its row either way (Material opens a <details> holding the target). */
(function () {
  "use strict";

  var LISTS = "article details.ev-audit-passes, article details.ev-audit-figures";

  function filterRows(table, input, status) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var text = row.textContent.toLowerCase();
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    status.textContent = words.length ? shown + " of " + rows.length + " rows shown" : "";
  }

  function enhance(details) {
    var table = details.querySelector("table");
    var summary = details.querySelector("summary");
    if (!table || !table.tBodies.length || !summary || details.getAttribute("data-filter") === "ready") return;
    details.setAttribute("data-filter", "ready");
    var box = document.createElement("p");
    box.className = "ev-filter ev-list-filter";
    var label = document.createElement("label");
    label.textContent = "Filter these rows ";
    var input = document.createElement("input");
    input.type = "search";
    input.autocomplete = "off";
    label.appendChild(input);
    var status = document.createElement("span");
    status.className = "ev-filter-status";
    status.setAttribute("role", "status");
    box.appendChild(label);
    box.appendChild(status);
    summary.insertAdjacentElement("afterend", box);
    input.addEventListener("input", function () { filterRows(table, input, status); });
  }

  function enhanceAll() {
    document.querySelectorAll(LISTS).forEach(enhance);
  }

  if (window.document$) {
    window.document$.subscribe(enhanceAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
