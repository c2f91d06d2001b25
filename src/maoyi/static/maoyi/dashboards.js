/* Dashboards (仪表盘): draw every [data-chart] element with ECharts. The element names the
 * json_script holding its option, built on the server (maoyi.web.dashboards.charts); the table under
 * each chart carries the same figures, so without this script the page still reads. */
(function () {
  "use strict";

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source || !window.echarts) return null;
    var option = JSON.parse(source.textContent);
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    // Marked once drawn to the end of its animation: what the browser tests (and screenshots) wait for.
    chart.on("finished", function () { box.setAttribute("data-rendered", "1"); });
    chart.setOption(option);
    return chart;
  }

  function start() {
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var chart = draw(box);
      if (chart) charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
