/* The rating grid (templates/assessments/work/grid.html): keyboard-first rating of level cells,
   each change saved at once through POST /api/v1/t/<tenant>/ratings/ with the version the cell
   showed; a 409 puts the other person's rating in the cell instead of overwriting it
   (docs/architecture.md, "Ratings: optimistic saves"). A file, not inline code: the CSP. */
(function () {
  "use strict";
  var table = document.getElementById("rating-grid");
  if (!table || !table.dataset.mayRate) { return; }
  var menu = document.getElementById("cell-menu");
  var note = document.getElementById("cell-note");
  var status = document.getElementById("grid-status");
  var texts = document.getElementById("grid-texts").dataset;
  var KEYS = {m: "met", p: "partially_met", n: "not_met", a: "not_applicable",
              "1": "met", "2": "partially_met", "3": "not_met", "4": "not_applicable"};
  var labels = {}, shorts = {};
  menu.querySelectorAll("[data-rate]").forEach(function (b) {
    labels[b.dataset.rate] = b.dataset.label; shorts[b.dataset.rate] = b.dataset.short;
  });
  var pending = 0;
  var chains = new WeakMap();
  var inflight = new WeakMap();  // saves of a cell not answered yet
  var open = null;  // the rate button whose menu is open

  function cells() { return Array.prototype.slice.call(table.querySelectorAll("button.rate")); }
  function rowOf(button) { return button.closest("tr"); }

  function focusCell(button) {
    if (!button) { return; }
    table.querySelectorAll("button.rate[tabindex='0']").forEach(function (b) { b.tabIndex = -1; });
    button.tabIndex = 0;
    button.focus();
  }

  function nextUnrated(from) {
    var all = cells(), start = from ? all.indexOf(from) : -1;
    for (var i = 1; i <= all.length; i++) {
      var b = all[(start + i) % all.length];
      if (!b.dataset.complete) { return b; }
    }
    return null;
  }

  function show(button, rating, noteText) {
    button.dataset.rating = rating || "";
    Array.prototype.slice.call(button.classList).forEach(function (name) {
      if (name.indexOf("r-") === 0) { button.classList.remove(name); }
    });
    button.classList.add("r-" + (rating || "none"));
    button.textContent = shorts[rating] || (rating === "mixed" ? "±" : "·");
    button.setAttribute("aria-label", button.dataset.name + ": " + (labels[rating] || (rating || table.dataset.notRated)));
    if (noteText !== undefined) {
      var td = button.closest("td");
      var mark = td.querySelector("[data-note-mark]");
      mark.hidden = !noteText; mark.title = noteText;
      td.querySelector("[data-note]").textContent = noteText;
    }
  }

  function progress(domain, delta) {
    if (!delta) { return; }
    var bar = document.querySelector("progress[data-progress='" + domain + "']");
    var text = document.querySelector("[data-progress-text='" + domain + "']");
    if (!bar) { return; }
    bar.value = Number(bar.value) + delta;
    text.textContent = bar.value + "/" + bar.max;
  }

  // The row as the server holds it: every cell's rating, note and version, the level reached.
  function apply(tr, row) {
    tr.querySelector("[data-display]").textContent = row.display || "0";
    tr.classList.toggle("below", row.below_target);
    row.cells.forEach(function (cell) {
      var b = tr.querySelector("button.rate[data-level='" + cell.level + "']");
      if (!b || (inflight.get(b) || 0) > 0) { return; }  // its own answer will say
      var was = !!b.dataset.complete;
      b.dataset.version = cell.version;
      if (cell.complete) { b.dataset.complete = "1"; } else { delete b.dataset.complete; }
      progress(tr.dataset.domain, (cell.complete ? 1 : 0) - (was ? 1 : 0));
      show(b, cell.rating, cell.note);
    });
  }

  function say(message) { status.textContent = message; }

  function send(button, body) {
    var tr = rowOf(button);
    body.engagement = Number(table.dataset.engagement);
    body.item = Number(tr.dataset.item);
    body.level = Number(button.dataset.level);
    body.version = Number(button.dataset.version);
    return fetch(table.dataset.api, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": table.dataset.csrf,
                "Accept": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        inflight.set(button, inflight.get(button) - 1);
        if (!inflight.get(button)) { button.classList.remove("saving"); }
        if (response.ok) { apply(tr, data); say(texts.saved); return; }
        if (response.status === 409 && data.current) {
          apply(tr, data.current);
          button.classList.add("conflict");
          say(data.detail);
          return;
        }
        button.classList.add("failed");
        say((data.detail || texts.failed) + (response.status === 409 ? " " + texts.reload : ""));
      });
    }).catch(function () {
      inflight.set(button, Math.max(0, inflight.get(button) - 1));
      button.classList.remove("saving");
      button.classList.add("failed");
      say(texts.failed);
    });
  }

  // Saves of one cell go one after the other, each with the version the previous one returned.
  function save(button, body) {
    pending += 1;
    inflight.set(button, (inflight.get(button) || 0) + 1);
    button.classList.add("saving");
    var chain = (chains.get(button) || Promise.resolve()).then(function () {
      return send(button, body);
    }).then(function () { pending -= 1; }, function () { pending -= 1; });
    chains.set(button, chain);
  }

  function rate(button, rating) {
    button.classList.remove("conflict", "failed");
    button.classList.add("saving");
    show(button, rating);
    if (!button.dataset.complete) {  // at once, for the progress and the next cell not rated
      button.dataset.complete = "1";
      progress(rowOf(button).dataset.domain, 1);
    }
    save(button, {rating: rating});
  }

  function openMenu(button, withNote) {
    closeMenu(false);
    open = button;
    button.closest("td").appendChild(menu);
    note.value = button.closest("td").querySelector("[data-note]").textContent;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    (withNote ? note : menu.querySelector("[data-rate]")).focus();
  }

  function closeMenu(refocus) {
    if (!open) { return; }
    var button = open;
    saveNote();
    open = null;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) { focusCell(button); }
  }

  function saveNote() {
    if (!open) { return; }
    var current = open.closest("td").querySelector("[data-note]").textContent;
    if (note.value === current) { return; }
    if (!open.dataset.rating) { say(texts.failed); return; }
    open.closest("td").querySelector("[data-note]").textContent = note.value;
    save(open, {note: note.value});
  }

  function move(button, dx, dy) {
    var td = button.closest("td"), tr = td.parentElement;
    if (dx) {
      var row = Array.prototype.slice.call(tr.querySelectorAll("button.rate"));
      return row[row.indexOf(button) + dx] || null;
    }
    var level = button.dataset.level, next = tr;
    while ((next = dy > 0 ? next.nextElementSibling : next.previousElementSibling)) {
      var target = next.querySelector("button.rate[data-level='" + level + "']") ||
                   next.querySelector("button.rate");
      if (target) { return target; }
    }
    return null;
  }

  table.addEventListener("keydown", function (event) {
    var button = event.target.closest && event.target.closest("button.rate");
    if (!button || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key, target = null;
    if (KEYS[key.toLowerCase()]) {
      event.preventDefault();
      rate(button, KEYS[key.toLowerCase()]);
      focusCell(nextUnrated(button) || button);
      return;
    }
    if (key === "Enter") { event.preventDefault(); focusCell(nextUnrated(button) || button); return; }
    if (key === "e" || key === "E") { event.preventDefault(); openMenu(button, true); return; }
    if (key === "r" || key === "R") {
      event.preventDefault();
      var details = button.closest("td").querySelector("details");
      details.open = !details.open;
      return;
    }
    if (key === "ArrowRight") { target = move(button, 1, 0); }
    else if (key === "ArrowLeft") { target = move(button, -1, 0); }
    else if (key === "ArrowDown") { target = move(button, 0, 1); }
    else if (key === "ArrowUp") { target = move(button, 0, -1); }
    else if (key === "Home") { target = cells()[0]; }
    else if (key === "End") { var all = cells(); target = all[all.length - 1]; }
    else { return; }
    event.preventDefault();
    focusCell(target || button);
  });

  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.rate");
    if (!button) { return; }
    focusCell(button);
    if (open === button) { closeMenu(true); } else { openMenu(button, false); }
  });

  menu.addEventListener("click", function (event) {
    var choice = event.target.closest("[data-rate]");
    if (choice && open) {
      var button = open;
      saveNote();
      rate(button, choice.dataset.rate);
      closeMenu(false);
      focusCell(button);
      return;
    }
    if (event.target.closest("[data-save-note]")) { saveNote(); closeMenu(true); return; }
    if (event.target.closest("[data-close]")) { closeMenu(true); }
  });

  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closeMenu(true); }
    else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault(); saveNote(); closeMenu(true);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (pending > 0) { event.preventDefault(); event.returnValue = ""; }
  });

  // Start where the work is: the first cell not rated, else the first cell.
  var first = nextUnrated(null) || cells()[0];
  if (first) { first.tabIndex = 0; if (!location.hash) { first.focus(); } }
  if (!nextUnrated(null)) { say(texts.done); }
})();
