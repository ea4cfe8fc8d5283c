/* The search of a site searched with Pagefind (a large site: its index comes in parts, fetched by
   the words of a query). The search box in the header is a plain form that opens the search page
   with the query (?q=); there Pagefind's interface shows the results, each study one result under
   its title, with its matching pages and sections as links to them. "/" or "s" puts the cursor in the box,
   as Material's own search does. Only pages that have the search page's #ev-search load Pagefind.
   Runs on a direct load and after every instant navigation (Material's document$). */
(function () {
  "use strict";

  function siteRoot() {
    var config = document.getElementById("__config");
    var base = config ? JSON.parse(config.textContent).base : ".";
    return new URL(base.replace(/\/?$/, "/"), location.href);
  }

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  function query() {
    return new URLSearchParams(location.search).get("q") || "";
  }

  /* A study is one result, its pages and sections the links beneath it: each of those links is the
     study's address with PAGE_MARK and the page's own path from the site's root as its anchor
     (generator/chunked_search.py), made here the page's address. */
  var PAGE_MARK = "ev-page:";

  /* How long the reader stops typing before the words are searched: Pagefind's own 300 ms put every
     first result past 300 ms; a search of the words' index parts takes tens of milliseconds. */
  var TYPING_PAUSE_MS = 100;

  function pageAddress(url, root) {
    var at = url.indexOf("#" + PAGE_MARK);
    if (at < 0) { return url; }
    var target = new URL(url.slice(at + 1 + PAGE_MARK.length), root);  // a path as mkdocs quoted it
    return target.origin === root.origin ? target.pathname + target.hash : url;
  }

  function say(box, text) {
    var note = document.createElement("p");
    note.className = "ev-search-problem";
    note.setAttribute("role", "alert");
    note.textContent = text;
    box.replaceChildren(note);
  }

  function start() {
    var words = query();
    document.querySelectorAll(".ev-search-box input[name=q]").forEach(function (input) {
      if (words && !input.value) { input.value = words; }
    });
    var box = document.getElementById("ev-search");
    if (!box || box.dataset.ready) { return; }
    box.dataset.ready = "yes";
    if (location.protocol === "file:") {
      say(box, "This search needs the site served by a web server: opened from files, the page " +
        "cannot fetch its index. The offline copy (evidence-site share) searches without one.");
      return;
    }
    var root = siteRoot();
    var bundle = new URL("pagefind/", root);
    Promise.all([
      load("link", { rel: "stylesheet", href: new URL("pagefind-ui.css", bundle).href }),
      window.PagefindUI ? null : load("script", { src: new URL("pagefind-ui.js", bundle).href })
    ]).then(function () {
      var ui = new window.PagefindUI({
        element: "#ev-search",
        bundlePath: bundle.pathname,
        baseUrl: root.pathname,
        showSubResults: true,
        showImages: false,
        debounceTimeoutMs: TYPING_PAUSE_MS,
        autofocus: !words,
        translations: { placeholder: "Search the studies" },
        processResult: function (result) {
          (result.sub_results || []).forEach(function (sub) { sub.url = pageAddress(sub.url, root); });
          return result;
        }
      });
      var input = box.querySelector("input");
      if (input) { input.setAttribute("aria-label", "Search the studies"); }
      if (words) { ui.triggerSearch(words); }
    }, function () {
      say(box, "The search index could not be loaded (" + bundle.pathname + "): build the site again.");
    });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || (event.key !== "/" && event.key !== "s")) { return; }
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var input = document.querySelector("#ev-search input") || document.querySelector(".ev-search-box input[name=q]");
    if (input && input.getClientRects().length > 0) {
      event.preventDefault();
      input.focus();
    }
  });

  if (window.document$) {
    window.document$.subscribe(start);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
