// Small behaviours for console and portal pages. Inline handlers are refused by the
// Content-Security-Policy, so pages mark elements with data- attributes and this file wires them.
(function () {
  "use strict";

  // <form data-clear-on-success="code">: after a successful htmx request, empty that field and focus it
  // (the gate desk takes the next code straight away).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-clear-on-success]");
    if (!form || !event.detail.successful) return;
    var field = form.querySelector('[name="' + form.dataset.clearOnSuccess + '"]');
    if (field) {
      field.value = "";
      field.focus();
    }
  });

  // <input data-select-on-focus>: one click selects the whole value, ready to copy.
  document.addEventListener("click", function (event) {
    var input = event.target.closest && event.target.closest("input[data-select-on-focus]");
    if (input) input.select();
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-select-on-focus]")) event.target.select();
  });
})();
