// The open host's CPU and memory chart (uPlot): drawn from its recorded samples, extended
// with each report the live feed brings.
import uPlot from '/console/vendor/uPlot.esm.js';
import { $ } from '/console/dom.js';
import { state } from '/console/state.js';

export function renderChart(samples) {
  const ordered = [...samples].reverse(); // the API gives newest first
  state.perf = {
    t: ordered.map((s) => new Date(s.collectedAt).getTime() / 1000),
    cpu: ordered.map((s) => (s.cpuUtilisation === null ? null : s.cpuUtilisation * 100)),
    mem: ordered.map((s) =>
      s.memoryTotalBytes > 0 ? (s.memoryUsedBytes / s.memoryTotalBytes) * 100 : null,
    ),
  };
  drawChart();
}

function drawChart() {
  state.chart?.destroy();
  state.chart = null;
  $('#chart-empty').hidden = state.perf.t.length > 0;
  if (state.perf.t.length === 0) return;
  const width = Math.max(320, $('#chart').clientWidth || 800);
  state.chart = new uPlot(
    {
      width,
      height: 240,
      scales: { '%': { range: [0, 100] } },
      axes: [{}, { scale: '%', values: (_u, ticks) => ticks.map((v) => `${v}%`) }],
      series: [
        {},
        { label: 'CPU', scale: '%', stroke: '#2a7ab0', width: 1.5 },
        { label: 'Memory', scale: '%', stroke: '#b05a2a', width: 1.5 },
      ],
    },
    [state.perf.t, state.perf.cpu, state.perf.mem],
    $('#chart'),
  );
}

export function appendSample(event) {
  const p = event.data.performance;
  if (!p) return;
  const t = new Date(event.data.collectedAt).getTime() / 1000;
  state.perf.t.push(t);
  state.perf.cpu.push(p.cpuUtilisation === null ? null : p.cpuUtilisation * 100);
  state.perf.mem.push(p.memoryUsedRatio === null ? null : p.memoryUsedRatio * 100);
  if (state.chart) state.chart.setData([state.perf.t, state.perf.cpu, state.perf.mem]);
  else drawChart();
}
