/* The study index: a box that filters its rows by their text, and column headings that sort it.
   Runs on a direct load and after every instant navigation (Material's document$). Without
   JavaScript the table is still there, complete, in its own order. */
(function () {
  "use strict";

  function cellKey(row, column) {
    var text = (row.cells[column] ? row.cells[column].textContent : "").trim();
    var number = parseFloat(text.replace(/[^0-9.\-]+/g, " ").trim().split(" ")[0]);
    return { text: text.toLowerCase(), number: /^[–-]?$/.test(text) ? NaN : number };
  }

  function compare(a, b) {
    if (!isNaN(a.number) && !isNaN(b.number) && a.number !== b.number) return a.number - b.number;
    if (isNaN(a.number) !== isNaN(b.number)) return isNaN(a.number) ? 1 : -1;
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }

  function sortBy(table, column, button) {
    var header = button.parentElement;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var order = compare(cellKey(r1, column), cellKey(r2, column));
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
  } else {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  }
})();
