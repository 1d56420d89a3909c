/* evalsite owner pages: small progressive enhancements, loaded from /static/ (no inline script or handler,
   so an enforcing Content-Security-Policy holds). Everything works without it, except copying to the
   clipboard in one click. */
(function () {
  "use strict";

  // Copy buttons: <button class="copy" data-copy-from="input-id">, status in the nearest .copy-status.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    if (!field) { return; }
    var status = document.querySelector(".copy-status");
    copyText(field.value).then(function () {
      button.classList.add("copied");
      document.querySelectorAll("button.copy.copied").forEach(function (other) {
        if (other !== button) { other.classList.remove("copied"); }
      });
      if (status) { status.textContent = status.getAttribute("data-copied"); }
    }, function () {
      field.focus();
      field.select();
      if (status) { status.textContent = status.getAttribute("data-failed"); }
    });
  });

  // Read-only link fields select their whole text on focus, for copying by hand.
  document.querySelectorAll("input.link-field").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });

  // Buttons that ask first: <button data-confirm="Close this study for good?">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit> (the language switch) submits its form on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // New study: the default instructions follow the modality while the owner has not edited them.
  var defaults = document.getElementById("default-instructions");
  var modality = document.getElementById("id_modality");
  var instructions = document.getElementById("id_instructions");
  if (defaults && modality && instructions) {
    var texts = JSON.parse(defaults.textContent);
    var normalise = function (text) { return text.replace(/\r\n/g, "\n").trim(); };
    modality.addEventListener("change", function () {
      var current = normalise(instructions.value);
      var untouched = current === "" || Object.keys(texts).some(function (key) {
        return normalise(texts[key]) === current;
      });
      if (untouched && texts[modality.value] !== undefined) { instructions.value = texts[modality.value]; }
    });
  }

  // Wide tables in a .table-scroll box: mark the box when columns are hidden, so a hint shows.
  function markOverflow() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      box.classList.toggle("overflowing", box.scrollWidth > box.clientWidth + 1);
    });
  }
  markOverflow();
  window.addEventListener("resize", markOverflow);
})();
