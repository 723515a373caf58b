// ECharts (vendored, its `common` build), loaded only when a page draws a chart: the pages
// without one stay small.
let loading = null;

export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = new URL("../vendor/echarts/echarts.common.min.js", import.meta.url).href;
      s.onload = () => resolve(window.echarts);
      s.onerror = () => { loading = null; reject(new Error("ECharts could not load")); };
      document.head.appendChild(s);
    });
  }
  return loading;
}
