// MedSage UI comfort only: every page works without this file.
(function () {
  "use strict";
  // Show that a long request is running and stop double submissions.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      window.setTimeout(function () {
        button.disabled = true;
        button.textContent = form.getAttribute("data-busy");
      }, 0);
      form.setAttribute("aria-busy", "true");
    });
  });
  // Ctrl+Enter (or Cmd+Enter) in a textarea submits its form.
  document.querySelectorAll("form textarea").forEach(function (area) {
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && area.form) {
        event.preventDefault();
        if (area.form.requestSubmit) { area.form.requestSubmit(); } else { area.form.submit(); }
      }
    });
  });
  // After an answer, bring the newest turn into view and give it focus for screen readers.
  var latest = document.getElementById("latest");
  if (latest && window.location.hash === "#latest") {
    latest.setAttribute("tabindex", "-1");
    latest.focus({ preventScroll: false });
  }
})();
// Coming back through the history cache: make the buttons usable again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[aria-busy] button[disabled]").forEach(function (button) {
    window.location.reload();
  });
});
