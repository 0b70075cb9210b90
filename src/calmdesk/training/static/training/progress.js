// The progress chart: reads its data from <script type="application/json" id="progress-data">
// and draws a Chart.js line per principle (vendored Chart.js 4, no inline code).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("progress-data");
    var canvas = document.getElementById("progress-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var palette = ["#1f6f64", "#b5462f", "#3b5ba5", "#8a5a00", "#6b3fa0", "#2f7d32",
      "#a12b6b", "#00667a", "#7a4b2a", "#4b4b4b", "#9c2a2a", "#2a5d9c"];
    var datasets = data.datasets.map(function (d, i) {
      return { label: d.label, data: d.data, borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length], spanGaps: true, tension: 0.2 };
    });
    datasets.unshift({ label: data.overall_label, data: data.overall, borderColor: "#000",
      backgroundColor: "#000", borderWidth: 3, spanGaps: true });
    var rtl = document.documentElement.dir === "rtl";
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        scales: { y: { min: 0, max: 100 }, x: { reverse: rtl } },
        plugins: { legend: { position: "bottom", rtl: rtl } }
      }
    });
    canvas.setAttribute("data-ready", "true");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
