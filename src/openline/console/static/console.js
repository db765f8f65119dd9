/* openline console: live updates (server-sent events), local times beside UTC, countdowns,
   the FLASH alarm, keyboard shortcuts, and the "verify now" progress. No framework beyond
   htmx; every string shown comes from the page, in the officer's language. */
(function () {
  "use strict";
  var body = document.body;
  var lang = body.dataset.lang || "en";
  var csrf = body.dataset.csrf || "";

  /* --- CSRF on every htmx request ---------------------------------------------------- */
  document.addEventListener("htmx:configRequest", function (event) {
    if (csrf) event.detail.headers["X-CSRF-Token"] = csrf;
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = document.getElementById("live-status");
    var text = event.detail.xhr.responseText || "";
    try { text = JSON.parse(text).error.code + ": " + JSON.parse(text).error.message; } catch (e) { /* as sent */ }
    if (status) { status.textContent = text; status.className = "live off"; }
  });

  /* --- times ------------------------------------------------------------------------- */
  var localFormat;
  try {
    localFormat = new Intl.DateTimeFormat(lang, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      timeZoneName: "short"
    });
  } catch (e) { localFormat = null; }
  function localTimes(root) {
    (root || document).querySelectorAll("[data-local]").forEach(function (el) {
      var moment = new Date(el.dataset.local);
      if (isNaN(moment) || !localFormat) return;
      el.textContent = localFormat.format(moment) + " (" + (body.dataset.tLocal || "local") + ")";
    });
  }
  function clock(seconds) {
    var s = Math.abs(Math.round(seconds));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), r = s % 60;
    var hms = (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
    return d ? (body.dataset.tDay || "{}d").replace("{}", d) + " " + hms : hms;
  }
  function countdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var due = Date.parse(el.dataset.deadline);
      if (isNaN(due)) return;
      var left = (due - now) / 1000;
      var template = left >= 0 ? body.dataset.tIn : body.dataset.tOverdue;
      el.textContent = (template || "{}").replace("{}", clock(left));
      el.classList.toggle("late", left < 0);
    });
  }

  /* --- the alarm: FLASH traffic, live desk checks, lines down --------------------- */
  var silenced = {}, notified = {};
  var audio = null, ringing = null;
  function soundBlocked(blocked) {
    var banner = document.getElementById("sound-blocked");
    if (banner) banner.hidden = !blocked;
  }
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      // A browser that plays nothing until the officer clicks says so by staying suspended:
      // then a banner says the alarm is silent, and the first click anywhere unblocks it.
      soundBlocked(audio.state !== "running");
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.type = "square"; tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.45);
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.5);
    } catch (e) { soundBlocked(true); /* no audio device: the banner still flashes */ }
  }
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") {
      audio.resume().then(function () { soundBlocked(audio.state !== "running"); });
    }
  }, true);
  function flashIds() {
    var zone = document.getElementById("flash");
    var ids = zone && zone.dataset.flashIds ? zone.dataset.flashIds.split(" ") : [];
    return ids.filter(Boolean);
  }
  var icons = {};
  function favicon(alarmed) {
    var link = document.getElementById("favicon");
    if (!link) return;
    if (!icons.quiet) icons.quiet = link.href;
    link.href = alarmed ? link.dataset.alarmIcon : icons.quiet;
  }
  // A tab in the background is told by a desktop notification, once per alarm.
  function notify(zone, loud) {
    if (!window.Notification || Notification.permission !== "granted") return;
    if (document.visibilityState !== "hidden") return;
    loud.forEach(function (id) {
      if (notified[id]) return;
      notified[id] = true;
      var item = zone.querySelector("[data-alarm-id='" + id + "']");
      var named = item && item.querySelector("[data-what]");
      var header = item && item.querySelector("header");
      var text = named ? named.dataset.what : (header ? header.textContent.replace(/\s+/g, " ").trim() : "");
      try {
        new Notification((zone.dataset.alarmTitle || "openline") + " · openline", {
          body: text.slice(0, 200), tag: id, requireInteraction: true
        });
      } catch (e) { /* a browser that forbids it here: the title and icon still tell */ }
    });
  }
  function alarm() {
    var zone = document.getElementById("flash");
    var loud = flashIds().filter(function (id) { return !silenced[id]; });
    if (zone) zone.classList.toggle("ringing", loud.length > 0);
    body.dataset.alarm = loud.length ? "ringing" : (flashIds().length ? "silenced" : "off");
    var base = document.title.replace(/^⚠ [^·]* · /, "");
    var title = zone && zone.dataset.alarmTitle;
    document.title = flashIds().length && title ? "⚠ " + title + " · " + base : base;
    favicon(flashIds().length > 0);
    if (zone) notify(zone, loud);
    if (loud.length && !ringing) {
      beep();
      ringing = setInterval(function () {
        if (flashIds().some(function (id) { return !silenced[id]; })) beep();
        else { clearInterval(ringing); ringing = null; }
      }, 2000);
    }
    if (!flashIds().length) disarm();
  }
  function silence() {
    flashIds().forEach(function (id) { silenced[id] = true; });
    alarm();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-silence]")) silence();
  });
  function askToNotify() {
    var ask = document.getElementById("ask-notify");
    if (!window.Notification || !ask) return;
    ask.hidden = Notification.permission !== "default";
    ask.addEventListener("click", function () {
      Notification.requestPermission().then(function () { ask.hidden = true; });
    });
  }

  /* --- acknowledging from the keyboard: a signature cannot be undone ---------------- */
  var armed = null;
  function disarm() {
    var hint = document.getElementById("confirm-ack");
    if (armed) clearTimeout(armed.timer);
    armed = null;
    if (hint) hint.hidden = true;
  }
  function confirmAck(button) {
    var hint = document.getElementById("confirm-ack");
    if (armed && armed.id === button.dataset.ack) {
      disarm(); button.click(); return;
    }
    disarm();
    // The first "a" names what would be signed; only a second "a" signs it.
    armed = { id: button.dataset.ack, timer: setTimeout(disarm, 10000) };
    if (hint) {
      hint.querySelector("[data-what]").textContent = button.dataset.what || "";
      hint.hidden = false;
    }
  }

  /* --- live updates ------------------------------------------------------------------ */
  // A live view is morphed in place, never replaced: the element an officer is on (a link,
  // the Acknowledge button, a half-typed field) stays focused with its value, so no update
  // has to wait for focus to move, and a FLASH never does.
  if (window.Idiomorph) window.Idiomorph.defaults.ignoreActiveValue = true;
  function refresh() {
    document.querySelectorAll("[data-live-url]").forEach(function (el) {
      // Marked as the page's own refresh: it does not keep an idle session alive.
      if (window.htmx) window.htmx.ajax("GET", el.dataset.liveUrl, {
        target: el, swap: "morph:innerHTML", headers: { "X-Openline-Background": "1" }
      });
    });
    if (window.openlineMap && document.getElementById("map")) window.openlineMap.refresh();
  }
  function live() {
    var url = body.dataset.live;
    var status = document.getElementById("live-status");
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    source.addEventListener("open", function () {
      if (status) { status.textContent = body.dataset.tLive || "Live"; status.className = "live on"; }
    });
    source.addEventListener("error", function () {
      if (status) { status.textContent = body.dataset.tOffline || "…"; status.className = "live off"; }
    });
    source.addEventListener("signed-out", function () {
      source.close(); window.location.reload();  // the server sends the login form
    });
    // The first event comes as the stream opens; it refreshes too, since something (a FLASH)
    // may have arrived between the page being rendered and the stream connecting.
    source.addEventListener("changed", refresh);
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    localTimes(event.target); countdowns(); alarm();
  });

  /* --- keyboard ---------------------------------------------------------------------- */
  var go = { c: "/console/compose/message", n: "/console/compose/notification",
             q: "/console/compose/request", f: "/console/", r: "/console/requests",
             t: "/console/transcript", m: "/console/map" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key;
    if (key === "a") {
      var button = document.querySelector("#flash button.ack") || document.querySelector("button.ack");
      if (button) { event.preventDefault(); confirmAck(button); }
    } else if (key === "Escape") {
      disarm();
    } else if (key === "s") {
      silence();
    } else if (key === "?") {
      var help = document.getElementById("shortcuts");
      if (help && help.showModal) help.showModal();
    } else if (go[key]) {
      event.preventDefault(); window.location.assign(go[key]);
    }
  });

  /* --- verify now -------------------------------------------------------------------- */
  function verify(button) {
    var bar = document.getElementById("verify-progress");
    var out = document.getElementById("verify-result");
    button.disabled = true; bar.hidden = false; bar.value = 0;
    out.textContent = (button.dataset.tChecking || "…") + "…";
    fetch("/console/verify", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffered = "";
        function handle(line) {
          if (!line) return;
          var message = JSON.parse(line);
          if (message.total !== undefined) bar.max = Math.max(1, message.total);
          if (message.log) { bar.value = Math.min(bar.max, bar.value + 1); out.textContent = (button.dataset.tChecking || "") + " " + message.log; }
          if (message.done) {
            var r = message.done;
            bar.value = bar.max;
            out.dataset.ok = r.ok ? "true" : "false";
            out.className = r.ok ? "notice ok" : "notice error";
            out.textContent = r.ok
              ? button.dataset.tOk.replace("{logs}", r.logs).replace("{entries}", r.entries)
                  .replace("{checkpoints}", r.checkpoints).replace("{cosignatures}", r.cosignatures)
              : button.dataset.tBad + " " + (r.problems || []).join("; ");
          }
        }
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { handle(buffered); return; }
            buffered += decoder.decode(chunk.value, { stream: true });
            var lines = buffered.split("\n"); buffered = lines.pop();
            lines.forEach(handle);
            return pump();
          });
        }
        return pump();
      })
      .catch(function (error) { out.className = "notice error"; out.textContent = String(error); })
      .then(function () { button.disabled = false; });
  }

  /* --- small things ------------------------------------------------------------------ */
  function start() {
    document.querySelectorAll("[data-here]").forEach(function (el) {
      el.value = window.location.pathname + window.location.search;
    });
    document.querySelectorAll("select[data-reload]").forEach(function (select) {
      select.addEventListener("change", function () {
        var form = select.form, query = new URLSearchParams();
        ["to", "catalogue", "code", "lang"].forEach(function (name) {
          var field = form.querySelector("[name=" + name + "]:checked") || form.querySelector("select[name=" + name + "]");
          if (field && field.value) query.set(name, field.value);
        });
        window.location.assign(window.location.pathname + "?" + query.toString());
      });
    });
    // One click signs once: the button stays pressed until the page answers.
    document.querySelectorAll("form.compose").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) setTimeout(function () { button.disabled = true; }, 0);
      });
    });
    // A time typed in UTC is echoed as the officer's own local time too, as it is typed.
    document.querySelectorAll("input[type=datetime-local]").forEach(function (input) {
      var echo = document.createElement("span");
      echo.className = "echo";
      echo.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", echo);
      function show() {
        var moment = new Date(input.value + "Z");
        echo.textContent = !input.value || isNaN(moment) || !localFormat ? ""
          : "UTC " + input.value.replace("T", " ") + " = " + localFormat.format(moment) +
            " (" + (body.dataset.tLocal || "local") + ")";
      }
      input.addEventListener("input", show);
      show();
    });
    // A field that a choice makes required (a meeting's location) says so as it is chosen.
    document.querySelectorAll("[data-required-for]").forEach(function (field) {
      var form = field.closest("form"), format = form && form.querySelector("[name=format]");
      var input = field.querySelector("input, textarea, select");
      var mark = field.querySelector("[data-when-required]");
      function sync() {
        var needed = !!format && format.value === field.dataset.requiredFor;
        if (input) input.required = needed;
        if (mark) mark.hidden = !needed;
      }
      if (format) format.addEventListener("change", sync);
      sync();
    });
    var verifyButton = document.getElementById("verify-now");
    if (verifyButton) verifyButton.addEventListener("click", function () { verify(verifyButton); });
    localTimes(document); countdowns(); alarm(); live(); askToNotify();
    setInterval(countdowns, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
