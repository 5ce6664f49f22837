// Renders every Vega-Lite spec on the page with vega-embed (vendored; see scripts/build-assets).
// Each chart is a <div class="vega-chart" data-spec="ID"> whose spec sits in <script id="ID"
// type="application/json">; without the libraries the tables beside the charts still carry the data.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.vegaEmbed !== "function") return;
  for (const element of document.querySelectorAll(".vega-chart[data-spec]")) {
    const source = document.getElementById(element.dataset.spec);
    if (!source) continue;
    // vega-embed styles its element inline-block, which gives a "container" width spec nothing to fill.
    element.style.display = "block";
    element.style.width = "100%";
    // ast: Vega's expressions run in its interpreter, not through new Function(): the page's
    // Content-Security-Policy has no 'unsafe-eval'.
    const options = { actions: false, renderer: "svg", ast: true };
    window.vegaEmbed(element, JSON.parse(source.textContent), options).catch((error) => {
      element.textContent = "The chart could not be drawn: " + error.message;
    });
  }
});
