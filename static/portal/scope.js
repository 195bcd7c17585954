/* The scope picker (templates/assessments/engagements/scope_picker.html): only the chosen
   model's boxes are shown and sent; ticking a part, domain or item ticks everything beneath it;
   a box whose children are partly ticked shows as mixed and is not sent. Without this script
   every model's tree is shown and the server takes what is ticked. No inline script (CSP). */
(function () {
  "use strict";
  var pickers = Array.prototype.slice.call(document.querySelectorAll(".scope-picker[data-version]"));
  if (!pickers.length) { return; }
  var select = document.querySelector("select[name=model_version]");
  var hint = document.querySelector("[data-scope-hint]");

  function show() {
    pickers.forEach(function (picker) {
      var on = !select || picker.getAttribute("data-version") === select.value;
      picker.hidden = !on;
      picker.disabled = !on; // a disabled fieldset's boxes are not submitted
    });
    if (hint) { hint.hidden = !!(select && select.value); }
  }

  function own(li) { return li.querySelector(":scope > label > input[type=checkbox]"); }
  function children(li) {
    return Array.prototype.slice.call(li.querySelectorAll(":scope > ul > li")).map(own);
  }

  function refreshUp(li) {
    var parent = li.parentElement.closest("li");
    while (parent) {
      var kids = children(parent);
      var all = kids.every(function (k) { return k.checked; });
      var none = kids.every(function (k) { return !k.checked && !k.indeterminate; });
      var box = own(parent);
      box.checked = all;
      box.indeterminate = !all && !none;
      parent = parent.parentElement.closest("li");
    }
  }

  function setBelow(li, checked) {
    li.querySelectorAll("ul input[type=checkbox]").forEach(function (box) {
      box.checked = checked;
      box.indeterminate = false;
    });
  }

  pickers.forEach(function (picker) {
    picker.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.matches("input[type=checkbox]")) { return; }
      var li = box.closest("li");
      setBelow(li, box.checked);
      refreshUp(li);
    });
    var all = picker.querySelector("[data-scope-all]");
    var none = picker.querySelector("[data-scope-none]");
    [all, none].forEach(function (button) {
      if (!button) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        picker.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          box.checked = button === all;
          box.indeterminate = false;
        });
      });
    });
    // A ticked box ticks its children on a form shown again (they were sent as one).
    picker.querySelectorAll("li").forEach(function (li) {
      if (own(li).checked) { setBelow(li, true); }
    });
    picker.querySelectorAll("li").forEach(function (li) {
      if (!li.querySelector(":scope > ul")) { refreshUp(li); }
    });
  });
  if (select) { select.addEventListener("change", show); }
  show();
})();
