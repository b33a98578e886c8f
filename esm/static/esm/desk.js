// Console keyboard helpers. Everything works without this file; it only saves keystrokes.
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  // Close <details> popovers on Esc or a click elsewhere.
  function closePopovers(except) {
    document.querySelectorAll("details.esm-pop[open]").forEach(function (d) {
      if (d !== except && !d.contains(except)) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) {
    closePopovers(e.target.closest("details.esm-pop"));
  });

  // Focus the first field of a popover when it opens.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (d.matches && d.matches("details[open]")) {
      var field = d.querySelector(".esm-pop-body textarea, .esm-pop-body select, .esm-pop-body input:not([type=hidden]), form textarea, form input:not([type=hidden])");
      if (field) field.focus();
    }
  }, true);

  // Filters left empty stay out of the URL that htmx requests and pushes to the history.
  document.addEventListener("htmx:configRequest", function (e) {
    var data = e.detail.formData;
    if (e.detail.verb !== "get" || !data || !e.detail.elt.closest("#queue-filters")) return;
    Array.from(data.keys()).forEach(function (key) {
      if (data.getAll(key).every(function (v) { return v === ""; })) data.delete(key);
    });
  });

  // A choice that is the whole form (e.g. "due within") applies as soon as it is made.
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      closePopovers(null);
      return;
    }
    // Ctrl/Cmd+Enter sends the form being typed in.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.form) {
      e.preventDefault();
      e.target.form.requestSubmit();
      return;
    }
    // Enter in a lookup box searches instead of submitting the whole form.
    if (e.key === "Enter" && e.target.matches("[data-lookup]")) {
      e.preventDefault();
      if (window.htmx) window.htmx.trigger(e.target, "search");
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      var box = document.getElementById("filter-q") || document.getElementById("desk-search");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    } else if (e.key === "j" || e.key === "k") {
      // Move through the queue's rows; Enter opens the focused ticket.
      var links = Array.prototype.slice.call(document.querySelectorAll(".esm-row-link"));
      if (!links.length) return;
      var i = links.indexOf(document.activeElement);
      i = e.key === "j" ? Math.min(i + 1, links.length - 1) : Math.max(i - 1, 0);
      links[i].focus();
      e.preventDefault();
    } else if (e.key === "c") {
      var body = document.querySelector("#composer textarea");
      if (body) { e.preventDefault(); body.focus(); }
    }
  });
})();
