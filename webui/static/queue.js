// The queue's pages: the ticket prints itself on the kiosk; the display polls its state twice a
// second (a call shows within a second; it also recovers by itself when the node restarts) and
// reads each new call aloud.
(function () {
  "use strict";
  var printButton = document.getElementById("print-ticket");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
    var ticket = document.getElementById("ticket");
    if (ticket && ticket.dataset.autoprint === "1") { window.setTimeout(function () { window.print(); }, 300); }
  }

  var display = document.getElementById("display");
  if (!display) { return; }
  var POLL_MS = 500;                                   // a call on screen within a second
  var stateUrl = display.dataset.stateUrl;
  var soundUrl = display.dataset.soundUrl;            // …/call/0.wav: 0 is replaced by the call id
  var audio = document.getElementById("announce");
  var lastCall = null, queue = [], playing = false, voice = false, fresh = {};

  function playNext() {
    if (playing || !queue.length || !voice) { return; }
    var id = queue.shift();
    playing = true;
    audio.src = soundUrl.replace(/0\.wav$/, id + ".wav");
    var done = function () { playing = false; playNext(); };
    audio.onended = done;
    audio.onerror = done;
    var p = audio.play();
    if (p && p.catch) { p.catch(done); }
  }

  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }

  function render(state) {
    var body = document.getElementById("desks");
    body.textContent = "";
    state.desks.forEach(function (d) {
      var tr = document.createElement("tr");
      tr.id = "desk-" + d.desk;
      if (fresh[d.desk] && fresh[d.desk] > Date.now()) { tr.className = "fresh"; }
      tr.appendChild(cell(d.desk));
      tr.appendChild(cell(d.number));
      body.appendChild(tr);
    });
    var next = document.getElementById("next");
    next.textContent = "";
    state.next.forEach(function (n) {
      var s = document.createElement("span"); s.textContent = n; next.appendChild(s);
    });
  }

  function poll() {
    var url = stateUrl + "?after=" + (lastCall === null ? 0 : lastCall);
    fetch(url, {cache: "no-store"}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (state) {
      document.getElementById("offline").hidden = true;
      voice = state.voice;
      if (lastCall !== null) {           // the first answer sets the mark: old calls stay silent
        state.calls.forEach(function (c) {
          fresh[c.desk] = Date.now() + 8000;
          queue.push(c.id);
        });
      }
      lastCall = state.last_call;
      render(state);
      playNext();
    }).catch(function () {
      document.getElementById("offline").hidden = false;
    }).then(function () { window.setTimeout(poll, POLL_MS); });
  }

  document.getElementById("sound-on").addEventListener("click", function (ev) {
    // Browsers play sound only after a tap (a TV in kiosk mode can start Chromium with
    // --autoplay-policy=no-user-gesture-required instead).
    audio.play().catch(function () {});
    ev.target.hidden = true;
  });
  poll();
}());
