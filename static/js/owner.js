// Owner pages. No inline script anywhere (Content-Security-Policy: script-src 'self'): behaviour lives here.
// A submit button with data-confirm="question" asks before its form is sent.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
