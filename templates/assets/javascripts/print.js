/* Printing: the line at the foot of every printed page (the site, the page's address, the data
   version and the date it is printed), and on a study's pages a "Print or save as PDF" button that
   waits for every chart's printed image (charts.js) before opening the browser's print dialog.
   Runs on a direct load and after every instant navigation (Material's document$); print.css lays
   out the printed page. Without JavaScript there is no button, and the line gives the build date. */
(function () {
  "use strict";

  function isoDate(date) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate());
  }

  // The text as a CSS string, for the page margin's content (print.css).
  function cssString(text) {
    return '"' + text.replace(/[\\"]/g, "\\$&").replace(/[\n\r\f]/g, " ") + '"';
  }

  // The footer line (footer.html) with this page's address as opened from the web (a file's path
  // means nothing on paper: the offline copy keeps the published address) and today's date. Where
  // the browser draws the page margin's boxes, the line goes there, clear of the text on each page.
  function fillFooter() {
    var line = document.querySelector(".ev-print-footer");
    if (!line) return;
    var address = line.querySelector(".ev-print-address");
    if (address && /^https?:$/.test(location.protocol)) {
      address.textContent = location.href.replace(/#.*$/, "");
    }
    var date = line.querySelector(".ev-print-date");
    if (date) date.textContent = "Printed " + isoDate(new Date());
    if (window.CSSMarginRule) {
      var root = document.documentElement;
      root.classList.add("ev-print-margin");
      root.style.setProperty("--ev-print-line", cssString(line.textContent.replace(/\s+/g, " ").trim()));
    }
  }

  // Every chart's printed image ready (or given up on: the page prints with its tables all the same).
  function chartsReady() {
    var ready = window.evCharts && window.evCharts.printReady ? window.evCharts.printReady() : null;
    return Promise.resolve(ready).catch(function () {});
  }

  function printPage(button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    chartsReady().then(function () {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      fillFooter();
      window.print();
    });
  }

  // After the study's menu of pages: the button, written here so that it exists only where it works.
  function addPrintButton() {
    var menu = document.querySelector("article nav.ev-study-menu");
    if (!menu || document.querySelector("article .ev-print-control")) return;
    var holder = document.createElement("p");
    holder.className = "ev-print-control";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ev-print-button";
    button.textContent = "Print or save as PDF";
    button.addEventListener("click", function () { printPage(button); });
    holder.appendChild(button);
    menu.parentNode.insertBefore(holder, menu.nextSibling);
  }

  function setUp() {
    fillFooter();
    addPrintButton();
  }

  window.addEventListener("beforeprint", fillFooter);
  if (window.document$) {
    window.document$.subscribe(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
