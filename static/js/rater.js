/* evalsite rater page: keyboard shortcuts, timer, submit/skip/report. Vanilla JS, no dependencies.
 * Keys: 1/← left, 2/→ right, 3/↑ tie, 4/↓ both bad on the active criterion; Tab next criterion;
 * Enter submit (Ctrl+Enter from a text box); S skip. Nothing here knows which system is which. */
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
    input.focus();
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
      li.textContent = S.expected + " · " + fs.querySelector("legend").textContent + ": " + S[fb.expected[key]];
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
    cont.focus();
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

  // Click-to-zoom: the same dialog for every image, whichever side it is on.
  var zoomDialog = document.getElementById("zoom-dialog");
  var zoomImg = document.getElementById("zoom-img");
  Array.prototype.forEach.call(document.querySelectorAll("button.zoom"), function (btn) {
    btn.addEventListener("click", function () {
      zoomImg.src = btn.dataset.zoom;
      zoomDialog.showModal();
    });
  });
  document.getElementById("zoom-close").addEventListener("click", function () { zoomDialog.close(); });

  document.addEventListener("keydown", function (e) {
    if (dialogOpen() || finished) { return; }
    var t = e.target;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); return; }
    if (e.altKey || e.ctrlKey || e.metaKey || isTyping(t)) { return; }
    if (KEYS[e.key]) {
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
})();
