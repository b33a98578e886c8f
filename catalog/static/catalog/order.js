// Catalog order form: show and hide questions as the person answers. The server decides anyway
// (catalog/forms_engine.py); without this script every question is shown with an "only if" hint.
(function () {
  "use strict";
  var form = document.querySelector("[data-catalog-form]");
  if (!form) { return; }

  function answerOf(key) {
    var inputs = form.querySelectorAll('[name="q_' + key + '"]');
    if (!inputs.length) { return null; }
    var first = inputs[0];
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (first.type === "radio") {
      var checked = Array.prototype.find.call(inputs, function (i) { return i.checked; });
      return checked ? checked.value : null;
    }
    return first.value === "" ? null : first.value;
  }

  function same(answer, value) {
    if (answer === null || answer === undefined || answer === "") { return false; }
    if (typeof value === "boolean") { return String(answer) === String(value); }
    if (answer !== "" && value !== "" && !isNaN(Number(answer)) && !isNaN(Number(value))) {
      return Number(answer) === Number(value);
    }
    return String(answer) === String(value);
  }

  function holds(condition, answers) {
    if (!condition) { return true; }
    if (condition.all) { return condition.all.every(function (c) { return holds(c, answers); }); }
    if (condition.any) { return condition.any.some(function (c) { return holds(c, answers); }); }
    var answer = answers[condition.question];
    if (condition.op === "equals") { return same(answer, condition.value); }
    if (condition.op === "one_of") { return (condition.value || []).some(function (v) { return same(answer, v); }); }
    if (condition.op === "contains") {
      if (Array.isArray(answer)) { return answer.some(function (a) { return same(a, condition.value); }); }
      return !!answer && String(answer).toLowerCase().indexOf(String(condition.value).toLowerCase()) !== -1;
    }
    if (condition.op === "at_least" || condition.op === "at_most") {
      if (answer === null || answer === "" || isNaN(Number(answer))) { return false; }
      return condition.op === "at_least" ? Number(answer) >= Number(condition.value)
        : Number(answer) <= Number(condition.value);
    }
    return false;
  }

  var questions = Array.prototype.slice.call(form.querySelectorAll(".catalog-question"));

  function refresh() {
    var answers = {};
    questions.forEach(function (q) { answers[q.dataset.key] = answerOf(q.dataset.key); });
    // An answer to a hidden question does not count, so repeat until nothing changes.
    for (var round = 0; round <= questions.length; round++) {
      var changed = false;
      questions.forEach(function (q) {
        var shown = holds(q.dataset.visibleIf ? JSON.parse(q.dataset.visibleIf) : null, answers);
        if (!shown && answers[q.dataset.key] !== null) { answers[q.dataset.key] = null; changed = true; }
        q.hidden = !shown;
      });
      if (!changed) { break; }
    }
    questions.forEach(function (q) {
      if (!q.dataset.requiredIf) { return; }
      var needed = holds(JSON.parse(q.dataset.requiredIf), answers);
      q.classList.toggle("catalog-now-required", needed);
    });
  }

  form.classList.add("catalog-live");
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
})();
