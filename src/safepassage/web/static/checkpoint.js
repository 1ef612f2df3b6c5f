/* The checkpoint page: record scans at once, or keep them on this device while offline.
 *
 * Every scan gets a client id when it is made and its device time; the queue lives in localStorage
 * ("sp-scan-queue") and is uploaded whenever there is a connection (on load, on "online", every 15 s).
 * The server answers each scan by its client id, so an upload repeated after a lost answer changes
 * nothing, and scans uploaded late and out of order give the same state. The camera reads the QR code
 * with the browser's BarcodeDetector where there is one; typing the pass number always works.
 */
(function () {
  "use strict";
  var form = document.querySelector("[data-checkpoint]");
  if (!form) { return; }
  var KEY = "sp-scan-queue";
  var status = document.querySelector("[data-status]");
  var queueInfo = document.querySelector("[data-queue]");
  var log = document.querySelector("[data-log]");
  var input = form.querySelector("[name=pass]");
  var sending = false;

  var deviceId = function () {
    var id = localStorage.getItem("sp-device");
    if (!id) {
      id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
      localStorage.setItem("sp-device", id);
    }
    return id.replace(/[^A-Za-z0-9-]/g, "");
  };
  var load = function () {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  };
  var save = function (queue) {
    localStorage.setItem(KEY, JSON.stringify(queue));
    queueInfo.textContent = queue.length ? msg("waiting").replace("{n}", queue.length) : "";
  };
  // the page's language: every message comes translated in the form's data-msg-* attributes
  var msg = function (key) { return form.getAttribute("data-msg-" + key.replace(/[A-Z]/g, function (c) { return "-" + c.toLowerCase(); })) || key; };
  var say = function (text) { status.textContent = text; };
  var note = function (text) {
    var item = document.createElement("li");
    item.textContent = new Date().toISOString().slice(11, 19) + " " + text;
    log.insertBefore(item, log.firstChild);
    while (log.children.length > 30) { log.removeChild(log.lastChild); }
  };

  var record = function (value) {
    value = value.trim();
    if (!value) { return; }
    var scan = {
      client_id: "web-" + deviceId() + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8),
      checkpoint: form.querySelector("[name=checkpoint]").value,
      site_id: form.querySelector("[name=site_id]").value,
      device_at: new Date().toISOString()
    };
    var leg = form.querySelector("[name=leg_id]").value;
    if (leg) { scan.leg_id = leg; }
    if (value.indexOf("SP1.") === 0) { scan.token = value; } else { scan.pass_number = value; }
    var queue = load();
    queue.push(scan);
    save(queue);
    note((scan.token ? "QR" : value) + ": queued");
    flush();
  };

  var flush = function () {
    var queue = load();
    save(queue);
    if (sending || !queue.length) { return; }
    if (navigator.onLine === false) { say(msg("offline")); return; }
    sending = true;
    var batch = queue.slice(0, 200);
    var body = new FormData();
    body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
    body.append("scans", JSON.stringify(batch));
    fetch(form.getAttribute("data-upload"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        // a busy or failing server (503 when it bounds its concurrency): keep the queue, retry later
        if (r.status >= 500) { throw new Error("busy"); }
        var type = r.headers.get("content-type") || "";
        if (type.indexOf("application/json") < 0) { throw new Error("signed out"); }
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      })
      .then(function (answer) {
        if (!answer.ok) { say(msg("refused") + " " + (answer.data.error || "")); sending = false; return; }
        var done = {};
        answer.data.results.forEach(function (res) {
          done[res.client_id] = true;
          note((res.leg_code || "") + " " + res.outcome + (res.reason ? " — " + res.reason : "") + (res.duplicate ? " (" + msg("duplicate") + ")" : ""));
        });
        save(load().filter(function (s) { return !done[s.client_id]; }));
        say(msg("uploaded"));
        sending = false;
        if (load().length) { flush(); }
      })
      .catch(function (err) {
        sending = false;
        say(err.message === "signed out" ? msg("signedOut") : msg("noConnection"));
      });
  };

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    record(input.value);
    input.value = "";
    input.focus();
  });

  // The camera, where the browser can read QR codes.
  var camera = form.querySelector("[data-camera]");
  var video = form.querySelector("[data-video]");
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    camera.hidden = false;
    var last = "", lastAt = 0;
    camera.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var tick = function () {
          detector.detect(video).then(function (codes) {
            codes.forEach(function (code) {
              var now = Date.now();
              if (code.rawValue && (code.rawValue !== last || now - lastAt > 3000)) {
                last = code.rawValue; lastAt = now;
                record(code.rawValue);
              }
            });
          }).catch(function () {}).then(function () { setTimeout(tick, 300); });
        };
        tick();
      }).catch(function () { say(msg("noCamera")); });
    });
  }

  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  flush();
})();
