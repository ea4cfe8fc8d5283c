/* Tables. Every wide table scrolls sideways, and says so: Material wraps each table of a page in a
   scrolling wrapper; a wrapper narrower than its table is marked (.ev-overflows), shows a hint
   above the table, says on which side more columns lie (.ev-more-left, .ev-more-right: shadows in
   extra.css, which also fixes the first column), and takes keyboard focus as a named region, so
   arrow keys scroll it. The study index also gets a box that filters its rows by their text, and
   column headings that sort it; the audit page's collapsed lists get a filter box too.
   On a phone a results, comparison or index table is read as cards instead, one a row: each cell
   is labelled here with its column's heading, which extra.css shows beside it (.ev-stacks).
   Runs on a direct load and after every instant navigation (Material's document$). Without
   JavaScript every table is still there, complete, in its own order, and scrolls. */
(function () {
  "use strict";

  var LISTS = "article details.ev-audit-passes, article details.ev-audit-figures";
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

  /* Mark a column's heading sorted (a second select reverses it); whether it sorts ascending now. */
  function markSorted(table, header) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    return ascending;
  }

  /* The order of a column's cells, from all their texts: by number when every cell that is not blank
     starts with one (patients, year), else as text, digits within words read as numbers; blank cells
     go last either way. */
  function textOrder(texts, ascending) {
    var filled = texts.filter(function (t) { return !BLANK.test(t); });
    var numeric = filled.length > 0 && filled.every(function (t) { return !isNaN(numberOf(t)); });
    return function (a, b) {
      if (BLANK.test(a) || BLANK.test(b)) return BLANK.test(a) - BLANK.test(b);
      var order = numeric ? numberOf(a) - numberOf(b) : collator.compare(a, b);
      return ascending ? order : -order;
    };
  }

  function sortBy(table, column, button) {
    var ascending = markSorted(table, button.parentElement);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var order = textOrder(rows.map(function (row) { return cellText(row, column); }), ascending);
    rows.sort(function (r1, r2) { return order(cellText(r1, column), cellText(r2, column)); });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  /* Hide the rows that lack any of the words typed, in any order; say how many are shown (`noun`), or,
     for a list (`quiet`), say nothing while the box is empty. */
  function filterRows(table, input, status, noun, quiet) {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var text = row.textContent.toLowerCase();
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    status.textContent = quiet && !words.length ? "" : shown + " of " + rows.length + " " + noun + " shown";
  }

  /* A paged study index (a large site: a page of rows each, linked by .ev-pager) filters and sorts
     all its rows: from the JSON file of every row its page links (a.ev-index-rows: each row's link
     and cells' text), fetched once when the box is first typed in or a heading first selected. The
     matching rows replace the page's own, SHOWN at a time; an empty box and no sort give the page's
     own rows back. Without JavaScript, or when the file cannot be fetched, the pages are read in
     turn. */
  var SHOWN = 50;

  function pagedIndex(container, table, input, status) {
    var link = document.querySelector("a.ev-index-rows");
    // opened from files (the offline copy), the file of every row cannot be fetched: this page's own
    if (!link || location.protocol === "file:") return null;
    var body = table.tBodies[0];
    var own = Array.prototype.slice.call(body.rows);
    var pagers = document.querySelectorAll("nav.ev-pager");
    var state = { column: -1, ascending: true, shown: SHOWN, data: null, loading: null, failed: false };
    var more = document.createElement("button");
    more.type = "button";
    more.className = "md-button ev-more-rows";
    more.hidden = true;
    container.parentNode.insertBefore(more, container.nextSibling);

    function load() {
      if (!state.loading) {
        state.loading = fetch(link.href).then(function (answer) {
          if (!answer.ok) throw new Error(answer.status);
          return answer.json();
        }).then(function (data) {
          data.rows.forEach(function (row) { row.text = row.cells.join(" ").toLowerCase(); });
          state.data = data;
          return data;
        });
      }
      return state.loading;
    }

    function cellOf(row, column, head) {
      var cell = document.createElement("td");
      if (container.classList.contains("ev-stacks")) setRole(cell, column === 0 ? "rowheader" : "cell");
      if (column === 0) {
        var a = document.createElement("a");
        a.href = new URL(row.href, link.href).href;
        a.textContent = row.cells[0];
        cell.appendChild(a);
      } else {
        cell.textContent = row.cells[column];
      }
      cell.setAttribute("data-label", head);
      return cell;
    }

    function sorted(rows) {
      if (state.column < 0) return rows;
      var column = state.column;
      var order = textOrder(rows.map(function (r) { return r.cells[column]; }), state.ascending);
      return rows.slice().sort(function (r1, r2) { return order(r1.cells[column], r2.cells[column]); });
    }

    function show() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var ours = !words.length && state.column < 0;
      pagers.forEach(function (nav) { nav.hidden = !ours; });
      if (ours) {
        body.replaceChildren.apply(body, own);
        more.hidden = true;
        status.textContent = own.length + (own.length === 1 ? " study" : " studies") +
          " on this page; the box and the headings look through every page";
        return;
      }
      status.textContent = "Looking through every study…";
      load().then(function (data) {
        var found = sorted(data.rows.filter(function (row) {
          return words.every(function (word) { return row.text.indexOf(word) !== -1; });
        }));
        var rows = found.slice(0, state.shown).map(function (row) {
          var tr = document.createElement("tr");
          if (container.classList.contains("ev-stacks")) setRole(tr, "row");
          row.cells.forEach(function (_, column) { tr.appendChild(cellOf(row, column, data.columns[column])); });
          return tr;
        });
        body.replaceChildren.apply(body, rows);
        var left = found.length - rows.length;
        more.hidden = left <= 0;
        more.textContent = "Show " + Math.min(left, SHOWN) + " more of " + left;
        status.textContent = found.length + " of " + data.rows.length + " studies" +
          (words.length ? " match" : "") + (left > 0 ? "; the first " + rows.length + " shown" : "") +
          " (as text: open a study for its figures' sources)";
        if (state.focusFrom !== undefined && rows[state.focusFrom]) {
          rows[state.focusFrom].querySelector("a").focus();
        }
        state.focusFrom = undefined;
      }, function () {
        // this page's own rows again, with its pagers: the box and the headings work on them alone
        state.failed = true;
        body.replaceChildren.apply(body, own);
        pagers.forEach(function (nav) { nav.hidden = false; });
        more.hidden = true;
        filterRows(table, input, status, "studies of this page");
        status.textContent += " (the list of every study could not be fetched: the other pages list the others)";
      });
    }

    more.addEventListener("click", function () {
      state.focusFrom = state.shown;  // the first row added takes the focus the button leaves
      state.shown += SHOWN;
      show();
    });
    return {
      filter: function () {
        if (state.failed) { filterRows(table, input, status, "studies of this page"); return; }
        state.shown = SHOWN;
        show();
      },
      sort: function (column, button) {
        if (state.failed) { sortBy(table, column, button); return; }
        state.ascending = markSorted(table, button.parentElement);
        state.column = column;
        state.shown = SHOWN;
        show();
      },
      start: show
    };
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
    // the filter goes before the table's "Skip table" link, which leads past the table itself
    var skip = container.previousElementSibling;
    var before = skip && skip.classList.contains("ev-skip") ? skip : container;
    container.parentNode.insertBefore(label, before);
    container.parentNode.insertBefore(status, before);
    var paged = pagedIndex(container, table, input, status);
    // a page of a paged index opened from files: the box and the headings work on its own rows
    var noun = !paged && document.querySelector("a.ev-index-rows") ? "studies of this page" : "studies";
    input.addEventListener("input", function () {
      if (paged) paged.filter(); else filterRows(table, input, status, noun);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ev-sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        if (paged) paged.sort(column, button); else sortBy(table, column, button);
      });
    });
    if (paged) paged.start(); else filterRows(table, input, status, noun);
  }

  /* The tables read as cards on a phone: every table in a page's .ev-table box but the audit's. */
  var STACKS = "div.ev-table:not(.ev-audit)";

  function setRole(element, role) {
    element.setAttribute("role", role);
  }

  /* Label each cell of the body with its column's heading (data-label, shown by extra.css before
     the cell when the rows are cards), and give each part of the table its role: Chromium drops a
     table's meaning from parts that CSS displays as blocks, and a screen reader would then read
     the cards as loose text. The first cell of a row names the row (its row header). */
  function stack(table) {
    var holder = table.closest(STACKS);
    if (!holder || holder.classList.contains("ev-stacks") || !table.tHead || !table.tBodies.length) return;
    var headings = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return th.textContent.trim();
    });
    setRole(table, "table");
    setRole(table.tHead, "rowgroup");
    Array.prototype.forEach.call(table.tBodies, function (body) { setRole(body, "rowgroup"); });
    Array.prototype.forEach.call(table.rows, function (row) {
      var head = row.parentNode === table.tHead;
      setRole(row, "row");
      Array.prototype.forEach.call(row.cells, function (cell, column) {
        setRole(cell, head ? "columnheader" : column === 0 ? "rowheader" : "cell");
        if (!head && headings[column]) cell.setAttribute("data-label", headings[column]);
      });
    });
    holder.classList.add("ev-stacks");
  }

  var HINT = "Scroll sideways for more columns \u2192";
  var WRAP_TRIES = 10;

  /* The text of the heading above an element, for the name of its scrolling region. */
  function headingAbove(element) {
    var node = element;
    while (node && !(node.classList && node.classList.contains("md-content__inner"))) {
      var sibling = node.previousElementSibling;
      while (sibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) {
          var copy = sibling.cloneNode(true);
          copy.querySelectorAll(".headerlink").forEach(function (link) { link.remove(); });
          return copy.textContent.trim();
        }
        sibling = sibling.previousElementSibling;
      }
      node = node.parentElement;
    }
    return "";
  }

  function updateOverflow(wrap, hint) {
    var overflows = wrap.scrollWidth > wrap.clientWidth + 1;
    var left = Math.abs(wrap.scrollLeft);
    wrap.classList.toggle("ev-overflows", overflows);
    wrap.classList.toggle("ev-more-left", overflows && left > 1);
    wrap.classList.toggle("ev-more-right", overflows && left + wrap.clientWidth < wrap.scrollWidth - 1);
    hint.hidden = !overflows;
    // what is scrolled into view (a focused figure) stops beside the fixed first column, not under it
    var first = overflows ? wrap.querySelector("tr > :first-child") : null;
    wrap.style.scrollPaddingLeft = first ? first.getBoundingClientRect().width + "px" : "";
    if (overflows && !wrap.hasAttribute("tabindex")) {
      var heading = headingAbove(wrap);
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (heading ? heading + ": table" : "Table") + ", scrolls sideways");
    } else if (!overflows && wrap.hasAttribute("tabindex")) {
      ["tabindex", "role", "aria-label"].forEach(function (name) { wrap.removeAttribute(name); });
    }
  }

  function watchScroll(wrap) {
    if (wrap.getAttribute("data-ev-scroll") === "true") return;
    wrap.setAttribute("data-ev-scroll", "true");
    var hint = document.createElement("p");
    hint.className = "ev-scroll-hint";
    hint.textContent = HINT;
    hint.hidden = true;
    hint.setAttribute("aria-hidden", "true");
    wrap.parentNode.insertBefore(hint, wrap);
    var update = function () { updateOverflow(wrap, hint); };
    wrap.addEventListener("scroll", update, { passive: true });
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(update);
      observer.observe(wrap);
      observer.observe(wrap.querySelector("table"));
    } else {
      window.addEventListener("resize", update);
    }
    update();
  }

  /* Material wraps the tables as it mounts a page, which may be after this script's turn: the
     tables not wrapped yet are looked at again shortly. */
  function watchTables(tries) {
    var unwrapped = 0;
    document.querySelectorAll(".md-content table").forEach(function (table) {
      stack(table);
      var wrap = table.closest(".md-typeset__scrollwrap");
      if (wrap) watchScroll(wrap);
      else unwrapped += 1;
    });
    if (unwrapped && tries > 0) {
      window.setTimeout(function () { watchTables(tries - 1); }, 50);
    }
  }

  /* The audit page's collapsed lists (the passed checks, the figures): a box above each table that
     filters its rows. Without JavaScript each list is complete and opens by a click; a figure's link
     opens its list at its row either way (Material opens a <details> holding the target). */
  function enhanceList(details) {
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
    input.addEventListener("input", function () { filterRows(table, input, status, "rows", true); });
  }

  /* Arriving at a row of a collapsed list (a figure's link), the row itself is brought into view.
     Material opens the list and scrolls to the list's top, and its instant navigation scrolls to the
     address's target: which comes last varies, and when the list opens last the row stays thousands
     of pixels below. So the row is revealed once its list has opened (the toggle event comes after
     both), once per arrival. */
  var arrival = null;
  function revealLater() {
    var id = location.hash ? decodeURIComponent(location.hash.slice(1)) : "";
    var target = id ? document.getElementById(id) : null;
    var list = target ? target.closest("details") : null;
    arrival = list ? target : null;
    if (list && list.open) {
      requestAnimationFrame(function () { target.scrollIntoView({ block: "center" }); });
    }
  }
  document.addEventListener("toggle", function (event) {
    var list = event.target;
    if (!arrival || !(list instanceof HTMLDetailsElement) || !list.open || !list.contains(arrival)) return;
    arrival.scrollIntoView({ block: "center" });
    arrival = null;
  }, true);
  window.addEventListener("hashchange", revealLater);

  function enhanceAll() {
    document.querySelectorAll("div.ev-index").forEach(enhance);
    document.querySelectorAll(LISTS).forEach(enhanceList);
    watchTables(WRAP_TRIES);
    revealLater();
  }

  /* "Skip table": focus moves to the mark after the table, which the browser scrolls into view. Done
     here, before Material's instant navigation sees the click: it would take the new address for a
     new page and load it again, and focus would be lost. (Without JavaScript the browser follows the
     link, and the next Tab starts from the mark.) */
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".ev-skip a[href]") : null;
    var target = link && link.hash ? document.getElementById(decodeURIComponent(link.hash.slice(1))) : null;
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    target.tabIndex = -1; // focusable, though not a stop of its own
    target.focus();
  }, true);

  /* From that mark, Tab goes on to the next stop after the table. (Chromium, from an element that
     Tab cannot reach, as the mark, at the end of a <details>, goes back to the start of it.) Material's
     floating "Back to top" button is not a stop here: it shows and hides as the page scrolls, so focus
     put on it while it shows would be lost a moment later, when it hides. */
  var STOPS = "a[href], button:not(.md-top), input, select, textarea, summary, [tabindex]";
  document.addEventListener("keydown", function (event) {
    var mark = document.activeElement;
    if (event.key !== "Tab" || event.shiftKey || !mark || !mark.classList.contains("ev-table-end")) return;
    var next = Array.prototype.find.call(document.querySelectorAll(STOPS), function (stop) {
      return stop.tabIndex >= 0 && !stop.disabled && stop.getClientRects().length > 0 &&
        (mark.compareDocumentPosition(stop) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  if (window.document$) {
    window.document$.subscribe(enhanceAll);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
