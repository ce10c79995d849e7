// Live counts: poll /console/api/live and update every element marked data-live="key".
// Polling (not server-sent events) so any number of central processes behind a load
// balancer can answer; the session is not kept alive by polling.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
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
  function poll() {
    fetch("/console/api/live", {credentials: "same-origin", cache: "no-store"})
      .then(function (r) {
        if (r.status === 401) { window.location = "/console/login"; throw new Error("signed out"); }
        return r.json();
      })
      .then(function (doc) { apply(doc); if (status) { status.textContent = "●"; } })
      .catch(function () { if (status) { status.textContent = "○"; } });
  }
  setInterval(poll, 2000);
})();
