/* Assay's only script: behaviour the templates ask for with data- attributes, so that the
   Content-Security-Policy needs no inline code (portal/settings.py, CONTENT_SECURITY_POLICY). */
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the language switcher).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // <details data-phone-menu>: the header's menu, folded on a phone and open on a wider screen.
  var phone = window.matchMedia("(max-width: 640px)");
  document.querySelectorAll("details[data-phone-menu]").forEach(function (menu) {
    function fit() { menu.open = !phone.matches; }
    fit();
    phone.addEventListener("change", fit);
  });

  // <form data-confirm="question">: submitted only once the question is answered yes.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // <input type="file" multiple data-dropzone>: files may be dropped on the field's box; the
  // names chosen are listed under it.
  document.querySelectorAll("input[type=file][data-dropzone]").forEach(function (input) {
    var zone = input.closest(".field") || input.parentElement;
    var list = document.createElement("ul");
    list.className = "small dropped";
    zone.classList.add("dropzone");
    zone.appendChild(list);
    function show() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var li = document.createElement("li");
        li.textContent = file.name;
        list.appendChild(li);
      });
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        show();
      }
    });
    input.addEventListener("change", show);
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
