// Live counts: server-sent events from /console/api/events, and polling /console/api/live
// every 2 s when the stream cannot be used (no EventSource, the stream refused, or nothing
// arrives because a balancer buffers it). Elements marked data-live="key" are updated in
// place. Neither the stream nor polling keeps an idle session alive.
// Also keeps the "3 分钟前" part of every <time datetime> current.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var english = document.documentElement.lang === "en";
  var live = document.querySelector("[data-live]") !== null;
  var FIRST_MESSAGE_MS = 5000;  // a buffering proxy delivers nothing: fall back quickly
  var polling = null;

  function mode(name, ok) {
    if (!status) { return; }
    status.setAttribute("data-mode", name);
    status.textContent = (ok ? "● " : "○ ") + (name === "stream"
      ? (english ? "live" : "实时")
      : (english ? "polling" : "轮询"));
  }

  function apply(doc) {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var key = el.getAttribute("data-live");
      var value;
      if (key.indexOf("station:") === 0) {
        var parts = key.split(":");
        var st = doc.stations[parts[1]];
        if (!st) { return; }
        value = st[parts[2]];
        if (parts[2] === "online") {
          el.className = value ? "ok" : "bad";
          value = el.getAttribute(value ? "data-on" : "data-off");
        }
      } else {
        value = doc[key];
      }
      if (value !== undefined && String(value) !== el.textContent) { el.textContent = String(value); }
    });
  }

  function signedOut(reason) {
    window.location = reason === "password_expired" ? "/console/password" : "/console/login";
  }

  function poll() {
    fetch("/console/api/live", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) {
        if (r.status === 401) {
          return r.json().then(function (d) { signedOut(d.reason); throw new Error("signed out"); });
        }
        return r.json();
      })
      .then(function (doc) { apply(doc); mode("poll", true); })
      .catch(function () { mode("poll", false); });
  }

  function startPolling() {
    if (polling === null) { poll(); polling = setInterval(poll, 2000); }
  }

  function stream() {
    var source = new EventSource("/console/api/events");
    var opened = Date.now();
    var last = 0;
    var silence = FIRST_MESSAGE_MS;
    function heard() { last = Date.now(); }
    source.addEventListener("hello", function (e) {
      heard();
      silence = (JSON.parse(e.data).heartbeat * 2 + 5) * 1000;
    });
    source.addEventListener("live", function (e) { heard(); apply(JSON.parse(e.data)); mode("stream", true); });
    source.addEventListener("ping", heard);
    source.addEventListener("end", function (e) {
      source.close();
      clearInterval(watchdog);
      var reason = JSON.parse(e.data).reason;
      if (reason === "signed_out" || reason === "password_expired") { signedOut(reason); }
      else { startPolling(); }  // "replaced": another tab of this session holds the stream
    });
    source.onerror = function () {
      // CONNECTING: the server ended the stream after its time; EventSource reconnects,
      // through the sign-in guard. CLOSED: refused (signed out?) - polling finds out.
      if (source.readyState === EventSource.CLOSED) {
        clearInterval(watchdog);
        startPolling();
      }
    };
    var watchdog = setInterval(function () {
      var since = last ? Date.now() - last : Date.now() - opened;
      if (since > silence) {  // nothing gets through: a balancer buffers the stream
        source.close();
        clearInterval(watchdog);
        startPolling();
      }
    }, 1000);
  }

  if (live) {
    if (window.EventSource) { stream(); } else { startPolling(); }
  }

  // "（3 分钟前）" / "(3 minutes ago)" after the clock time the server rendered.
  function ago(ms) {
    var span = Math.abs(ms) / 1000, n, zh, en;
    if (span < 45) { return english ? "just now" : "刚刚"; }
    if (span >= 36 * 3600) { n = span / 86400; zh = "天"; en = "day"; }
    else if (span >= 90 * 60) { n = span / 3600; zh = "小时"; en = "hour"; }
    else { n = span / 60; zh = "分钟"; en = "minute"; }
    n = Math.max(1, Math.round(n));
    if (english) {
      var text = n + " " + en + (n === 1 ? "" : "s");
      return ms >= 0 ? text + " ago" : "in " + text;
    }
    return n + " " + zh + (ms >= 0 ? "前" : "后");
  }
  function refreshTimes() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      var text = el.textContent;
      var cut = text.indexOf(english ? " (" : "（");
      if (cut < 0) { return; }
      var rel = ago(Date.now() - at);
      el.textContent = text.slice(0, cut) + (english ? " (" + rel + ")" : "（" + rel + "）");
    });
  }
  setInterval(refreshTimes, 30000);
})();
