// Draws the page's charts with uPlot from the JSON in #chart-data and, on a
// live page (data-live-url), polls that URL and updates them in place.
(function () {
  "use strict";
  var palette = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];
  var charts = {};
  window.llmflowCharts = charts;

  function columns(c) {
    return [c.x].concat(c.y);
  }

  function options(c, width) {
    var series = [{ label: "step" }];
    c.labels.forEach(function (label, i) {
      series.push({ label: label, stroke: palette[i % palette.length], width: 1.5, spanGaps: true,
        points: { show: c.x.length < 60 } });
    });
    return {
      width: width, height: 240, series: series,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, { size: 64, values: tickLabels }],
      hooks: { draw: [function (u) { markResumes(u, c); }] },
    };
  }

  // uPlot's default labels round a learning rate's ticks to equal strings
  // (0.002, 0.002, 0.001): keep three significant digits.
  function tickLabels(u, splits) {
    return splits.map(function (v) {
      if (v == null) return "";
      var a = Math.abs(v);
      if (a !== 0 && a < 0.01) return v.toExponential(1);
      if (a >= 1000) return Math.round(v).toLocaleString("en");
      return String(+v.toPrecision(3));
    });
  }

  // A dashed line where a resumed attempt took over the curve.
  function markResumes(u, c) {
    if (!c.resumed_at) return;
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#9ca3af";
    ctx.setLineDash([4, 4]);
    c.resumed_at.forEach(function (step) {
      var x = u.valToPos(step, "x", true);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    });
    ctx.restore();
  }

  function draw(list) {
    list.forEach(function (c) {
      var fig = document.querySelector('figure[data-chart="' + CSS.escape(c.id) + '"]');
      if (!fig) return;
      fig.setAttribute("data-points", c.points);
      var existing = charts[c.id];
      if (existing) {
        existing.chart.setData(columns(c));
        existing.data = c;
        return;
      }
      var u = new uPlot(options(c, Math.min(640, Math.max(320, fig.parentNode.clientWidth / 2 - 40))), columns(c),
        fig.querySelector(".plot"));
      charts[c.id] = { chart: u, data: c };
    });
  }

  var el = document.getElementById("chart-data");
  if (el) draw(JSON.parse(el.textContent));

  var live = document.body.getAttribute("data-live-url");
  if (!live) return;
  var known = Object.keys(charts).sort().join("\n");
  function poll() {
    fetch(live, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      var ids = s.charts.map(function (c) { return c.id; }).sort().join("\n");
      if (s.status !== "running" || ids !== known) {
        // A finished run or a node's first curve changes the page itself.
        location.reload();
        return;
      }
      draw(s.charts);
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
