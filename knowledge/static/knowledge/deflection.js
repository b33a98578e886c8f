// Portal deflection: while a requester describes a problem, show articles (and known-error
// workarounds) that may already answer it. Debounced; Korean and other input methods are
// respected: nothing is searched while a syllable is being composed (compositionstart …
// compositionend), only once it is committed. Without this file the form works as before.
(function () {
  "use strict";

  var DELAY_MS = 300;
  var MIN_CHARS = 2;

  function setup(panel) {
    var input = document.getElementById(panel.getAttribute("data-input"));
    var results = panel.querySelector("[data-kb-results]");
    if (!input || !results) return;
    var timer = null;
    var composing = false;
    var last = "";
    var controller = null;

    function show(html) {
      results.innerHTML = html;
      panel.hidden = html.trim() === "";
    }

    function search() {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (controller) controller.abort();
      if (q.length < MIN_CHARS) {
        show("");
        return;
      }
      controller = window.AbortController ? new AbortController() : null;
      var base = panel.getAttribute("data-url");
      var url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(q);
      fetch(url, {credentials: "same-origin", headers: {"HX-Request": "true"},
                  signal: controller ? controller.signal : undefined})
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          // A slower answer to an older text must not replace a newer one.
          if (input.value.trim() === q) show(html);
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    }

    input.addEventListener("compositionstart", function () { composing = true; });
    input.addEventListener("compositionend", function () {
      composing = false;
      schedule();
    });
    input.addEventListener("input", function (event) {
      if (composing || event.isComposing) return;
      schedule();
    });
    input.addEventListener("blur", schedule);
    if (input.value.trim()) schedule();
  }

  document.querySelectorAll("[data-kb-deflection]").forEach(setup);
})();
