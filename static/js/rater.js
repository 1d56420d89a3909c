/* evalsite rater page: keyboard shortcuts, timer, submit/skip/report, instructions, image comparison.
 * Vanilla JS, no dependencies, no inline script (the page's CSP allows scripts from static files only).
 * Keys: 1/← left, 2/→ right, 3/↑ tie, 4/↓ both bad on the active criterion; Tab next criterion;
 * Enter submit (Ctrl+Enter from a text box); S skip; I instructions.
 * Images: Z actual size / fit, + and − zoom, 0 fit, Shift+arrows pan, F flip left/right, V side by side.
 * Both images always share one zoom and one position. Nothing here knows which system is which. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("rater-config").textContent);
  var S = cfg.strings;
  var form = document.getElementById("judge-form");
  var submitBtn = document.getElementById("submit-btn");
  var message = document.getElementById("form-message");
  var waitHint = document.getElementById("wait-hint");
  var timer = document.getElementById("timer");
  var fieldsets = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion"));
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var rationale = document.getElementById("rationale");
  var started = Date.now() - cfg.elapsed * 1000;
  var busy = false;
  var finished = false;
  var KEYS = {
    "1": "left", ArrowLeft: "left",
    "2": "right", ArrowRight: "right",
    "3": "tie", ArrowUp: "tie",
    "4": "both_bad", ArrowDown: "both_bad"
  };

  function elapsed() { return (Date.now() - started) / 1000; }

  function tick() {
    var s = Math.floor(elapsed());
    timer.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
    var ready = elapsed() >= cfg.minSeconds;
    submitBtn.disabled = busy || finished || !ready;
    waitHint.hidden = ready || finished;
  }
  tick();
  setInterval(tick, 500);

  function show(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return String(values[k]); });
  }

  function activeFieldset() {
    var el = document.activeElement;
    var fs = el && el.closest ? el.closest("fieldset.criterion") : null;
    if (fs) { return fs; }
    for (var i = 0; i < fieldsets.length; i++) {
      if (!fieldsets[i].querySelector("input[type=radio]:checked")) { return fieldsets[i]; }
    }
    return fieldsets[fieldsets.length - 1];
  }

  function choose(fs, value) {
    var input = fs.querySelector("input[type=radio][value='" + value + "']");
    input.checked = true;
    input.focus({ preventScroll: true });
  }

  function isTyping(el) {
    if (!el || !el.tagName) { return false; }
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && el.type !== "radio" && el.type !== "checkbox");
  }

  function dialogOpen() { return document.querySelector("dialog[open]") !== null; }

  function collect() {
    var choices = {};
    var likert = {};
    for (var i = 0; i < fieldsets.length; i++) {
      var fs = fieldsets[i];
      var checked = fs.querySelector("input[type=radio]:checked");
      if (!checked) {
        show(S.answerAll);
        fs.querySelector("input[type=radio]").focus();
        return null;
      }
      choices[fs.dataset.criterion] = checked.value;
      var selects = fs.querySelectorAll("select[data-likert]");
      if (selects.length) {
        var scores = {};
        for (var j = 0; j < selects.length; j++) {
          scores[selects[j].dataset.likert] = selects[j].value ? parseInt(selects[j].value, 10) : null;
        }
        if (scores.left !== null || scores.right !== null) { likert[fs.dataset.criterion] = scores; }
      }
    }
    var text = rationale ? rationale.value.trim() : "";
    var needed = cfg.rationale === "required" ? Math.max(cfg.rationaleMin, 1) : (text ? cfg.rationaleMin : 0);
    if (rationale && text.length < needed) {
      show(fmt(S.rationaleNeeded, { n: needed }));
      rationale.focus();
      return null;
    }
    return { choices: choices, likert: likert, rationale: text };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { ok: resp.ok, data: data }; });
    });
  }

  function errorText(data) {
    var byCode = { criterion_missing: S.answerAll, too_fast: S.wait, lease_expired: S.expired };
    return byCode[data.code] || data.message || S.network;
  }

  function lock() {
    finished = true;
    Array.prototype.forEach.call(form.elements, function (el) { el.disabled = true; });
    tick();
  }

  function showFeedback(data) {
    var box = document.getElementById("feedback");
    var fb = data.feedback;
    document.getElementById("feedback-title").textContent = fb.matched ? S.matched : S.notMatched;
    box.classList.toggle("ok", fb.matched);
    box.classList.toggle("bad", !fb.matched);
    var list = document.getElementById("feedback-expected");
    list.textContent = "";
    fieldsets.forEach(function (fs) {
      var key = fs.dataset.criterion;
      if (!fb.expected[key]) { return; }
      var li = document.createElement("li");
      li.textContent = S.expected + " · " + fs.querySelector("legend").firstChild.textContent.trim() + ": " + S[fb.expected[key]];
      list.appendChild(li);
    });
    document.getElementById("feedback-explanation").textContent = fb.explanation || "";
    var acc = data.gold_accuracy;
    document.getElementById("feedback-accuracy").textContent = acc ? fmt(S.accuracy, acc) : "";
    var bar = document.getElementById("progress");
    if (bar && data.progress) {
      bar.max = data.progress.target;
      bar.value = data.progress.done;
      document.getElementById("progress-label").textContent = fmt(S.progress, data.progress);
    }
    var running = document.getElementById("gold-accuracy");
    if (running && acc) { running.textContent = fmt(S.accuracy, acc); }
    box.hidden = false;
    var cont = document.getElementById("continue-btn");
    cont.addEventListener("click", function () { window.location.assign(data.next_url); });
    cont.focus({ preventScroll: true });
  }

  function submit() {
    if (busy || finished) { return; }
    if (elapsed() < cfg.minSeconds) { show(S.wait); return; }
    var body = collect();
    if (!body) { return; }
    show("");
    busy = true;
    tick();
    post(cfg.submitUrl, body).then(function (res) {
      busy = false;
      if (!res.ok) {
        show(errorText(res.data));
        tick();
        if (res.data.code === "lease_expired" || res.data.code === "assignment_skipped") {
          lock();
          setTimeout(function () { window.location.assign(cfg.nextUrl); }, 1500);
        }
        return;
      }
      lock();
      if (res.data.feedback) { showFeedback(res.data); } else { window.location.assign(res.data.next_url); }
    }, function () {
      busy = false;
      show(S.network);
      tick();
    });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  // Skip, with a reason.
  var skipDialog = document.getElementById("skip-dialog");
  function openSkip() { if (!finished && !busy) { skipDialog.showModal(); } }
  document.getElementById("skip-btn").addEventListener("click", openSkip);
  document.getElementById("skip-cancel").addEventListener("click", function () { skipDialog.close(); });
  document.getElementById("skip-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var reason = skipDialog.querySelector("input[name=skip-reason]:checked").value;
    busy = true;
    post(cfg.skipUrl, { reason: reason }).then(function (res) {
      busy = false;
      skipDialog.close();
      if (res.ok) { lock(); window.location.assign(res.data.next_url); } else { show(errorText(res.data)); tick(); }
    }, function () { busy = false; skipDialog.close(); show(S.network); });
  });

  // Report (unsafe, broken, identity visible) on the left, right or both responses.
  var reportDialog = document.getElementById("report-dialog");
  document.getElementById("report-btn").addEventListener("click", function () { reportDialog.showModal(); });
  document.getElementById("report-cancel").addEventListener("click", function () { reportDialog.close(); });
  document.getElementById("report-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = {
      target: reportDialog.querySelector("input[name=report-target]:checked").value,
      reason: reportDialog.querySelector("input[name=report-reason]:checked").value,
      note: document.getElementById("report-note").value
    };
    post(cfg.reportUrl, body).then(function (res) {
      reportDialog.close();
      show(res.ok ? S.reported : errorText(res.data));
    }, function () { reportDialog.close(); show(S.network); });
  });

  // Instructions: the study's own text, the criteria and the keys, reopened at any time (button or I).
  var instructions = document.getElementById("instructions-dialog");
  var instructionsBtn = document.getElementById("instructions-btn");
  function openInstructions() { if (!instructions.open) { instructions.showModal(); } }
  instructionsBtn.addEventListener("click", openInstructions);
  instructions.addEventListener("close", function () { instructionsBtn.focus({ preventScroll: true }); });

  // The prompt image at its actual size (scrolls when larger than the window).
  var zoomDialog = document.getElementById("zoom-dialog");
  var zoomImg = document.getElementById("zoom-img");
  Array.prototype.forEach.call(document.querySelectorAll("button.zoom"), function (btn) {
    btn.addEventListener("click", function () {
      zoomImg.src = btn.dataset.zoom;
      zoomDialog.showModal();
    });
  });
  document.getElementById("zoom-close").addEventListener("click", function () { zoomDialog.close(); });

  var images = imageComparison();

  document.addEventListener("keydown", function (e) {
    if (dialogOpen()) { return; }
    var t = e.target;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); return; }
    if (e.altKey || e.ctrlKey || e.metaKey || isTyping(t)) { return; }
    if (images && images.key(e)) { e.preventDefault(); return; }
    if (e.key === "i" || e.key === "I") { e.preventDefault(); openInstructions(); return; }
    if (finished) { return; }
    if (KEYS[e.key] && !e.shiftKey) {
      e.preventDefault();
      choose(activeFieldset(), KEYS[e.key]);
      show("");
      return;
    }
    if (e.key === "Enter") {
      if (t && (t.tagName === "BUTTON" || t.tagName === "A" || t.tagName === "SUMMARY")) { return; }
      e.preventDefault();
      submit();
      return;
    }
    if (e.key === "s" || e.key === "S") {
      e.preventDefault();
      openSkip();
    }
  });

  /* Image comparison: both viewers share one state — "fit" (each image fits its box, pure CSS) or a scale in
   * screen pixels per image pixel (1 = actual size) and a centre (u, v) in image fractions. Same scale and
   * same centre on both sides, so the same detail is under the same spot; F shows one side at a time. */
  function imageComparison() {
    var tools = document.getElementById("image-tools");
    var pair = document.getElementById("pair");
    var viewers = Array.prototype.slice.call(document.querySelectorAll(".pair .viewer"));
    if (!tools || !viewers.length) { return null; }
    tools.hidden = false;
    var outputs = Array.prototype.slice.call(pair.querySelectorAll(".output"));
    var level = document.getElementById("zoom-level");
    var flipStatus = document.getElementById("flip-status");
    var buttons = {};
    Array.prototype.forEach.call(tools.querySelectorAll("[data-image-action]"), function (b) {
      buttons[b.dataset.imageAction] = b;
    });
    var state = { fit: true, scale: 1, u: 0.5, v: 0.5, flip: false, showing: "left" };
    var STEP = 1.25;
    var MAX = 16;

    function img(viewer) { return viewer.querySelector("img"); }
    function ready(viewer) { return img(viewer).naturalWidth > 0; }
    function fitScale(viewer) {
      var i = img(viewer);
      return Math.min(viewer.clientWidth / i.naturalWidth, viewer.clientHeight / i.naturalHeight);
    }
    function baseScale() {
      var scales = viewers.filter(ready).map(fitScale);
      return scales.length ? Math.min.apply(null, scales) : 1;
    }
    function clamp(x, lo, hi) { return Math.max(lo, Math.min(hi, x)); }

    function place(viewer) {
      var i = img(viewer);
      viewer.classList.toggle("zoomed", !state.fit);
      viewer.dataset.scale = state.fit ? "fit" : String(state.scale);
      if (state.fit || !ready(viewer)) { i.style.transform = ""; return; }
      var bw = viewer.clientWidth, bh = viewer.clientHeight;
      var w = i.naturalWidth * state.scale, h = i.naturalHeight * state.scale;
      var tx = w <= bw ? (bw - w) / 2 : clamp(bw / 2 - state.u * w, bw - w, 0);
      var ty = h <= bh ? (bh - h) / 2 : clamp(bh / 2 - state.v * h, bh - h, 0);
      i.style.transform = "translate(" + tx.toFixed(2) + "px, " + ty.toFixed(2) + "px) scale(" + state.scale + ")";
    }

    function render() {
      // layout first (flip changes the boxes), then place the images in the boxes as they now are
      pair.classList.toggle("flip", state.flip);
      outputs.forEach(function (o) { o.classList.toggle("shown", o.dataset.side === state.showing); });
      viewers.forEach(place);
      level.textContent = state.fit ? tools.dataset.fit : Math.round(state.scale * 100) + "%";
      buttons.fit.setAttribute("aria-pressed", String(state.fit));
      buttons.actual.setAttribute("aria-pressed", String(!state.fit && state.scale === 1));
      buttons.flip.setAttribute("aria-pressed", String(state.flip));
      buttons.sidebyside.hidden = !state.flip;
      flipStatus.textContent = state.flip ? tools.dataset["showing" + (state.showing === "left" ? "Left" : "Right")] : "";
    }

    function fit() { state.fit = true; state.u = 0.5; state.v = 0.5; render(); }
    function zoomTo(scale) {
      var base = baseScale();
      if (scale <= base * 1.001 && scale < 1) { fit(); return; }
      state.fit = false;
      state.scale = clamp(scale, Math.min(base, 1), MAX);
      render();
    }
    function current() { return state.fit ? baseScale() : state.scale; }
    function toggleActual() { if (!state.fit && state.scale === 1) { fit(); } else { zoomTo(1); } }
    // Move the shared centre by (dx, dy) screen pixels measured on `viewer`.
    function pan(viewer, dx, dy) {
      if (state.fit || !ready(viewer)) { return; }
      var i = img(viewer);
      state.u = clamp(state.u - dx / (i.naturalWidth * state.scale), 0, 1);
      state.v = clamp(state.v - dy / (i.naturalHeight * state.scale), 0, 1);
      render();
    }
    function visibleViewer() {
      return viewers.filter(function (v) { return !state.flip || v.dataset.side === state.showing; })[0];
    }
    function flip() {
      if (!state.flip) { state.flip = true; state.showing = "left"; } else { state.showing = state.showing === "left" ? "right" : "left"; }
      render();
    }
    function sideBySide() { state.flip = false; render(); }

    var actions = {
      fit: fit,
      actual: toggleActual,
      "in": function () { zoomTo(current() * STEP); },
      out: function () { zoomTo(current() / STEP); },
      flip: flip,
      sidebyside: sideBySide
    };
    Object.keys(buttons).forEach(function (name) {
      buttons[name].addEventListener("click", function () { actions[name](); });
    });

    // Pointer: drag pans both; two fingers pinch-zoom both; double click toggles actual size; Ctrl+wheel zooms.
    viewers.forEach(function (viewer) {
      var pointers = {};
      var pinch = null;
      viewer.addEventListener("pointerdown", function (e) {
        pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
        viewer.setPointerCapture(e.pointerId);
        viewer.classList.add("dragging");
        var ids = Object.keys(pointers);
        if (ids.length === 2) {
          var a = pointers[ids[0]], b = pointers[ids[1]];
          pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y), scale: current() };
        }
      });
      viewer.addEventListener("pointermove", function (e) {
        var p = pointers[e.pointerId];
        if (!p) { return; }
        var dx = e.clientX - p.x, dy = e.clientY - p.y;
        p.x = e.clientX;
        p.y = e.clientY;
        var ids = Object.keys(pointers);
        if (ids.length === 2 && pinch) {
          var a = pointers[ids[0]], b = pointers[ids[1]];
          zoomTo(pinch.scale * Math.hypot(a.x - b.x, a.y - b.y) / Math.max(pinch.dist, 1));
        } else if (ids.length === 1) {
          pan(viewer, dx, dy);
        }
      });
      function release(e) {
        delete pointers[e.pointerId];
        if (Object.keys(pointers).length < 2) { pinch = null; }
        if (!Object.keys(pointers).length) { viewer.classList.remove("dragging"); }
      }
      viewer.addEventListener("pointerup", release);
      viewer.addEventListener("pointercancel", release);
      viewer.addEventListener("dblclick", toggleActual);
      viewer.addEventListener("wheel", function (e) {
        if (!e.ctrlKey && !e.metaKey) { return; }
        e.preventDefault();
        zoomTo(current() * (e.deltaY < 0 ? STEP : 1 / STEP));
      }, { passive: false });
      img(viewer).addEventListener("load", render);
    });
    window.addEventListener("resize", render);
    render();

    var PAN = { ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 80], ArrowDown: [0, -80] };
    return {
      // Returns true when the key was an image key (the caller then prevents its default).
      key: function (e) {
        if (e.shiftKey && PAN[e.key]) { pan(visibleViewer(), PAN[e.key][0], PAN[e.key][1]); return true; }
        switch (e.key) {
          case "z": case "Z": toggleActual(); return true;
          case "+": case "=": actions["in"](); return true;
          case "-": case "_": actions.out(); return true;
          case "0": fit(); return true;
          case "f": case "F": flip(); return true;
          case "v": case "V": sideBySide(); return true;
          default: return false;
        }
      },
      state: state
    };
  }
})();
