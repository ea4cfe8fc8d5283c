/* The study index: a box that filters its rows by their text, and column headings that sort it.
   Runs on a direct load and after every instant navigation (Material's document$). Without
   JavaScript the table is still there, complete, in its own order. */
(function () {
  "use strict";

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var BLANK = /^[–—-]?$/;
  var NUMBER = /^[−-]?\d[\d,]*(\.\d+)?/;

  function cellText(row, column) {
    return (row.cells[column] ? row.cells[column].textContent : "").trim();
  }

  function numberOf(text) {
    var found = NUMBER.exec(text);
    return found ? parseFloat(found[0].replace(/,/g, "").replace("−", "-")) : NaN;
  }

  /* A column sorts by number when every cell that is not blank starts with one (patients, year),
     else as text, digits within words read as numbers; blank cells go last either way. */
  function sortBy(table, column, button) {
    var header = button.parentElement;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var filled = rows.map(function (row) { return cellText(row, column); }).filter(function (t) { return !BLANK.test(t); });
    var numeric = filled.length > 0 && filled.every(function (t) { return !isNaN(numberOf(t)); });
    rows.sort(function (r1, r2) {
      var a = cellText(r1, column), b = cellText(r2, column);
      if (BLANK.test(a) || BLANK.test(b)) return BLANK.test(a) - BLANK.test(b);
      var order = numeric ? numberOf(a) - numberOf(b) : collator.compare(a, b);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function filterRows(table, input, status) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var text = row.textContent.toLowerCase();
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    status.textContent = shown + " of " + table.tBodies[0].rows.length + " studies shown";
  }

  function enhance(container) {
    var table = container.querySelector("table");
    if (!table || container.getAttribute("data-enhanced") === "true") return;
    container.setAttribute("data-enhanced", "true");
    var label = document.createElement("label");
    label.className = "ev-filter";
    label.textContent = "Filter studies ";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "design, phase, drug, year, NCT number…";
    label.appendChild(input);
    var status = document.createElement("p");
    status.className = "ev-filter-status";
    status.setAttribute("role", "status");
    container.parentNode.insertBefore(label, container);
    container.parentNode.insertBefore(status, container);
    input.addEventListener("input", function () { filterRows(table, input, status); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ev-sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, column, button); });
    });
    filterRows(table, input, status);
  }

  function enhanceAll() {
    document.querySelectorAll("div.ev-index").forEach(enhance);
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
