/* Assay's only script: behaviour the templates ask for with data- attributes, so that the
   Content-Security-Policy needs no inline code (portal/settings.py, CONTENT_SECURITY_POLICY). */
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the language switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // <form data-confirm="question">: submitted only once the question is answered yes.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // <div data-poll-url="…">: reload the page once the status there is no longer "issuing".
  document.querySelectorAll("[data-poll-url]").forEach(function (element) {
    (function poll() {
      fetch(element.dataset.pollUrl, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (s) { if (s.status !== "issuing") { location.reload(); } else { setTimeout(poll, 1500); } })
        .catch(function () { setTimeout(poll, 5000); });
    })();
  });
})();
