// The practice page: clear and refocus the reply box after each turn; show refusals (422)
// under the box.  No inline code: the page's CSP forbids it.
(function () {
  "use strict";
  function isTurnForm(el) {
    return el && el.id === "turn-form";
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (!isTurnForm(e.target)) return;
    var box = document.getElementById("turn-error");
    if (box) box.textContent = "";
  });
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!isTurnForm(e.target)) return;
    if (e.detail.xhr.status === 422) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
      e.detail.target = document.getElementById("turn-error");
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (!isTurnForm(e.target) || !e.detail.successful) return;
    var form = e.target;
    form.reset();
    var text = document.getElementById("turn-text");
    if (text) text.focus();
    var last = document.querySelector("#transcript li:last-child");
    if (last && last.scrollIntoView) last.scrollIntoView({ block: "nearest" });
  });
})();
