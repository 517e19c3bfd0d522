// Draws each <canvas data-chart="{label, labels, values}"> of the KPI page as a horizontal bar chart
// with chart.js (loaded before this file). The same figures are in the page's tables.
(function () {
  'use strict';
  if (typeof Chart === 'undefined') return;
  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute('data-chart'));
    new Chart(canvas, {
      type: 'bar',
      data: { labels: spec.labels, datasets: [{ label: spec.label, data: spec.values, backgroundColor: '#2f6f9f' }] },
      options: {
        indexAxis: 'y',
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { min: 0, max: 100 } },
        plugins: { legend: { display: false }, title: { display: true, text: spec.label } },
      },
    });
  });
})();
