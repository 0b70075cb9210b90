// Report charts: read <script type="application/json" id="report-charts"> and draw one
// Chart.js chart per <canvas data-chart="N"> (vendored Chart.js 4, no inline code, CSP-safe).
// Drawn again after htmx swaps the report body when the filters change: htmx drops <script>
// elements of swapped content (allowScriptTags: false), so the chart data of the response is
// read with DOMParser (which runs nothing) before the swap.
(function () {
  "use strict";
  var palette = ["#1f6f64", "#b5462f", "#3b5ba5", "#8a5a00", "#6b3fa0", "#2f7d32",
    "#a12b6b", "#00667a", "#7a4b2a", "#4b4b4b", "#9c2a2a", "#2a5d9c"];

  function config(chart, rtl) {
    var doughnut = chart.kind === "doughnut";
    var stacked = chart.kind === "stacked-bar";
    var type = chart.kind === "line" ? "line" : (doughnut ? "doughnut" : "bar");
    var datasets = chart.series.map(function (s, i) {
      var colour = palette[i % palette.length];
      return {
        label: s.label,
        data: s.values,
        borderColor: doughnut ? "#fff" : colour,
        backgroundColor: doughnut ? s.values.map(function (_, j) { return palette[j % palette.length]; }) : colour,
        spanGaps: true,
        tension: 0.2
      };
    });
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: doughnut ? 2 : 2.6,
      plugins: { legend: { position: "bottom", rtl: rtl }, tooltip: { rtl: rtl } }
    };
    if (!doughnut) {
      options.scales = {
        x: { reverse: rtl, stacked: stacked },
        y: { beginAtZero: true, stacked: stacked, position: rtl ? "right" : "left",
          title: { display: !!chart.unit, text: chart.unit } }
      };
    }
    return { type: type, data: { labels: chart.labels, datasets: datasets }, options: options };
  }

  var swapped = null;

  function draw(text) {
    var source = document.getElementById("report-charts");
    if (typeof text !== "string") text = source ? source.textContent : null;
    if (!text || typeof Chart === "undefined") return;
    var charts = JSON.parse(text);
    var rtl = document.documentElement.dir === "rtl";
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var chart = charts[parseInt(canvas.getAttribute("data-chart"), 10)];
      if (!chart) return;
      if (canvas.chart) canvas.chart.destroy();
      canvas.chart = new Chart(canvas, config(chart, rtl));
      canvas.setAttribute("data-ready", "true");
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "report-body") return;
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      // a filter error: show the message in place of the report
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    var doc = new DOMParser().parseFromString(event.detail.serverResponse || "", "text/html");
    var data = doc.getElementById("report-charts");
    swapped = data ? data.textContent : "[]";
  });
  // The address bar follows the filters (so a report can be bookmarked or shared).  Done
  // here rather than with hx-push-url, whose page snapshot copies Chart.js's canvas styles as
  // inline style attributes, which the CSP (style-src 'self') refuses.
  function pushAddress(xhr) {
    if (!xhr || !xhr.responseURL || !window.history || !history.pushState) return;
    var url = new URL(xhr.responseURL);
    var kept = new URLSearchParams();
    url.searchParams.forEach(function (value, key) { if (value) kept.append(key, value); });
    var query = kept.toString();
    var next = url.pathname + (query ? "?" + query : "");
    if (next !== location.pathname + location.search) history.pushState({ report: true }, "", next);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.target || event.target.id !== "report-body") return;
    draw(swapped);
    pushAddress(event.detail.xhr);
  });
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.report) location.reload();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
