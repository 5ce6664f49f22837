// Page behaviour that would otherwise be inline script: the Content-Security-Policy allows scripts
// from this site's static files only (no inline <script>, no on*= attributes, no eval).
// Alpine runs as its CSP build, so components are registered here by name (Alpine.data) and the
// templates' x-data/x-show/@click name their properties and methods instead of holding expressions.
document.addEventListener("alpine:init", () => {
  // A row that opens and closes its details (a subscription's movements).
  window.Alpine.data("disclosure", () => ({
    open: false,
    toggle() {
      this.open = !this.open;
    },
  }));
  // The survey form shows the fields the chosen schedule needs.
  window.Alpine.data("surveySchedule", () => ({
    schedule: "",
    init() {
      this.schedule = this.$el.elements.schedule_kind.value;
    },
    pick(event) {
      if (event.target.name === "schedule_kind") this.schedule = event.target.value;
    },
    needsDays() {
      return this.schedule === "before_renewal" || this.schedule === "recurring";
    },
    needsEvent() {
      return this.schedule === "after_event";
    },
    needsFirstAsk() {
      return this.schedule === "recurring";
    },
  }));
});

document.addEventListener("click", (event) => {
  // <a data-opens="ID">: open the <details id=ID> on this page and scroll to it instead of following the link.
  const opener = event.target.closest("[data-opens]");
  if (opener) {
    const target = document.getElementById(opener.dataset.opens);
    if (target) {
      event.preventDefault();
      target.open = true;
      target.scrollIntoView({ behavior: "smooth" });
    }
  }
  // <input data-select-on-click>: one click selects the whole value, ready to copy.
  const field = event.target.closest("input[data-select-on-click]");
  if (field) field.select();
});

// The top bar's menus are <details data-menu>: they work without script; this only keeps one open
// at a time and closes them on a click elsewhere or Escape, as menus do. The search box's results
// (filled by htmx) close the same way.
function closeMenus(except) {
  for (const menu of document.querySelectorAll("details[data-menu][open]")) {
    if (menu !== except) menu.open = false;
  }
  const results = document.getElementById("topsearch-results");
  if (results && !(except && except.closest && except.closest(".topsearch"))) results.replaceChildren();
}

document.addEventListener("click", (event) => {
  const inside = event.target.closest("details[data-menu], .topsearch");
  closeMenus(inside);
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus(null);
});
