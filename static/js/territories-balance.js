/*
 * Territory balance chart: potential per owner for each territory, the mean as a line,
 * and bars more than the tolerance away from the mean in the warning colour.
 *
 * The figures come from the page (json_script "balance-chart-data"); money arrives as
 * decimal strings and is converted to numbers only for drawing.
 */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function draw() {
    var canvas = document.getElementById("balance-chart");
    var source = document.getElementById("balance-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var values = data.values.map(Number);
    var mean = data.mean === null ? null : Number(data.mean);
    var accent = cssVar("--accent", "#3d5af1");
    var warning = "#e0a100";
    var text = cssVar("--gray-600", "#4d5566");
    var money = new Intl.NumberFormat(undefined, {
      style: "currency",
      currency: data.currency,
      maximumFractionDigits: 0,
    });

    var datasets = [
      {
        type: "bar",
        label: "Potential per owner",
        data: values,
        backgroundColor: data.flagged.map(function (flagged) {
          return flagged ? warning : accent;
        }),
        borderRadius: 4,
        order: 2,
      },
    ];
    if (mean !== null) {
      datasets.push({
        type: "line",
        label: "Mean",
        data: values.map(function () {
          return mean;
        }),
        borderColor: text,
        borderDash: [6, 4],
        borderWidth: 2,
        pointRadius: 0,
        pointHitRadius: 0,
        fill: false,
        order: 1,
      });
    }

    new window.Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        scales: {
          y: {
            beginAtZero: true,
            ticks: {
              callback: function (value) {
                return money.format(value);
              },
            },
          },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var label = context.dataset.label + ": " + money.format(context.parsed.y);
                if (context.dataset.type === "bar" && data.flagged[context.dataIndex]) {
                  label += " (flagged)";
                }
                return label;
              },
            },
          },
        },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
