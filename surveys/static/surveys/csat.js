// CSAT per month, one line per group (data from json_script; CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("csat-chart");
  var source = document.getElementById("csat-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(JSON.parse(source.textContent));
  new Chart(canvas, {
    type: "line",
    data: data,
    options: {
      maintainAspectRatio: false, spanGaps: true,
      scales: {y: {min: 0, max: 100, ticks: {callback: function (v) { return v + "%"; }}}},
      plugins: {legend: {position: "right", labels: {boxWidth: 10, font: {size: 11}}}}
    }
  });
});
