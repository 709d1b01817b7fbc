/* motcua clerk desk: a little progressive enhancement; every page works without it. */
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  // The page's words in the clerk's language (webui/i18n.py JS_WORDS, rendered by base.html).
  var words = {};
  try { words = JSON.parse(($("#js-words") || {}).textContent || "{}"); } catch (e) { words = {}; }
  function w(key) { return words[key] || key; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }

  // After a failed submit, the first field in error takes the focus (the server also marks it
  // autofocus; this covers browsers that skip autofocus on a re-shown page).
  var firstBad = $('[aria-invalid="true"]');
  if (firstBad && document.activeElement !== firstBad) firstBad.focus();

  // Print buttons (inline handlers are barred by the CSP).
  $all("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });

  // Procedure picker: filter on the server while typing (accents optional).
  var live = $("[data-live]");
  if (live) {
    var timer = null, list = document.getElementById(live.getAttribute("data-target"));
    live.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(live.getAttribute("data-live") + "?q=" + encodeURIComponent(live.value), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.items.forEach(function (p, i) {
              var li = el("li"), a = el("a");
              a.href = p.url;
              if (i < 9) a.accessKey = String(i + 1);
              a.appendChild(el("strong", p.name));
              a.appendChild(document.createTextNode(" "));
              a.appendChild(el("span", p.code + " · " + (p.days ? p.days + " " + w("working_days") : w("same_day")), "muted"));
              li.appendChild(a); list.appendChild(li);
            });
            if (!data.items.length) list.appendChild(el("li", w("no_match"), "muted"));
          });
      }, 150);
    });
    live.addEventListener("keydown", function (ev) {   // arrow down jumps into the list
      if (ev.key === "ArrowDown") { var first = $("a", list); if (first) { ev.preventDefault(); first.focus(); } }
    });
  }

  // Scans: show what was picked (thumbnail or page count) and let the clerk remove a file before saving.
  function pdfPages(file, target) {
    var reader = new FileReader();
    reader.onload = function () {
      var m = String(reader.result).match(/\/Type\s*\/Page[^s]/g);
      target.textContent = m ? m.length + " " + w("pages") : "PDF";
    };
    reader.readAsText(file.slice(0, 5 * 1024 * 1024));
  }
  function showPicked(input) {
    var list = $('ul.picked[data-for="' + input.id + '"]');
    if (!list) return;
    list.innerHTML = "";
    Array.prototype.forEach.call(input.files, function (file, index) {
      var li = el("li");
      if (/^image\/(png|jpeg)$/.test(file.type)) {
        var img = el("img", null, "thumb"); img.src = URL.createObjectURL(file); img.alt = file.name; li.appendChild(img);
      }
      li.appendChild(el("span", file.name + " (" + Math.ceil(file.size / 1024) + " KB)"));
      if (file.type === "application/pdf") { var pages = el("span", "", "muted"); li.appendChild(pages); pdfPages(file, pages); }
      var rm = el("button", w("remove"), "link"); rm.type = "button";
      rm.addEventListener("click", function () {
        var dt = new DataTransfer();
        Array.prototype.forEach.call(input.files, function (f, i) { if (i !== index) dt.items.add(f); });
        input.files = dt.files; showPicked(input);
      });
      li.appendChild(rm); list.appendChild(li);
    });
  }
  $all("input[data-scan]").forEach(function (input) { input.addEventListener("change", function () { showPicked(input); }); });
  $all("[data-remove-staged]").forEach(function (b) {
    b.addEventListener("click", function () { var li = b.closest("li"); li.parentNode.removeChild(li); });
  });

  // Chip ID card QR (CCCD): a desk QR reader types `ID|old ID|name|ddmmyyyy|sex|address|ddmmyyyy`
  // and Enter. Enter must not submit the form: the string is checked by the server's parser
  // (motcua/cccd.py), the fields are filled, and the focus goes to the phone (not on the card).
  var qr = $("[data-cccd]");
  function splitCard(raw) {
    var p = raw.trim().split("|");
    if (p.length < 7 || !/^\d{8}$/.test(p[3])) return null;
    return {id_number: p[0].trim(), full_name: p[2].trim().replace(/\s+/g, " "),
            date_of_birth: p[3].slice(0, 2) + "/" + p[3].slice(2, 4) + "/" + p[3].slice(4),
            address: p[5].trim().replace(/\s+/g, " ")};
  }
  function fillCard(fields, note, bad) {
    Object.keys(fields).forEach(function (k) { var f = $("#f-" + k); if (f) { f.value = fields[k]; f.removeAttribute("aria-invalid"); } });
    var out = $("#cccd-result"); out.textContent = note; out.className = bad ? "error" : "ok";
    qr.setAttribute("aria-invalid", bad ? "true" : "false");
    var phone = $("#f-phone"); if (phone && !bad) phone.focus();
    if (typeof checkDuplicates === "function" && $("[data-duplicates]")) checkDuplicates();
  }
  function readCard() {
    var raw = qr.value; if (!raw.trim()) return;
    var body = new FormData(); body.append("qr", raw);
    var token = $('input[name="csrf_token"]'); if (token) body.append("csrf_token", token.value);
    fetch(qr.getAttribute("data-cccd"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (res) {
        if (res.fields) { fillCard(res.fields, w("cccd_filled"), false); return; }
        var out = $("#cccd-result"); out.textContent = res.error; out.className = "error";
        qr.setAttribute("aria-invalid", "true");
        var local = splitCard(raw);     // fill what the card says anyway; the error stays shown
        if (local) Object.keys(local).forEach(function (k) { var f = $("#f-" + k); if (f) f.value = local[k]; });
        var target = res.field === "id_number" ? $("#f-id_number") : qr; if (target) target.focus();
      })
      .catch(function () { var local = splitCard(raw); if (local) fillCard(local, w("cccd_offline"), false); });
  }
  if (qr) {
    qr.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); readCard(); } });
    qr.addEventListener("paste", function () { setTimeout(readCard, 0); });
    qr.addEventListener("change", readCard);
  }

  // Possible duplicate: the same ID number filed the same procedure here lately. A warning only.
  var idField = $("[data-duplicates]"), dupBox = $("#duplicate-warning");
  function checkDuplicates() {
    if (!idField.value.trim()) { dupBox.hidden = true; return; }
    fetch(idField.getAttribute("data-duplicates") + "&id_number=" + encodeURIComponent(idField.value),
          {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (res) {
        var span = $("span", dupBox); span.innerHTML = "";
        res.items.forEach(function (d, i) {
          if (i) span.appendChild(document.createTextNode(", "));
          var a = el("a", d.code + " (" + d.received_at + ")"); a.href = d.url; a.target = "_blank"; span.appendChild(a);
        });
        dupBox.hidden = !res.items.length;
      }).catch(function () { dupBox.hidden = true; });
  }
  if (idField && dupBox) { idField.addEventListener("change", checkDuplicates); if (idField.value) checkDuplicates(); }

  // Today's lists: poll a few bytes every few seconds; when the journal moved (something came from
  // the center, or another desk acted), fetch the lists again and say so, without reloading.
  var lists = $("#worklists[data-poll]");
  if (lists) {
    setInterval(function () {
      fetch(lists.getAttribute("data-poll"), {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (s) {
          if (s.stamp === lists.getAttribute("data-stamp")) return null;
          return fetch(lists.getAttribute("data-fragment"), {credentials: "same-origin"})
            .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
            .then(function (html) {
              lists.innerHTML = html;
              lists.setAttribute("data-stamp", s.stamp);
              var note = $("#worklists-note"), now = new Date();
              if (note) note.textContent = w("lists_updated") + " " + ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
            });
        })
        .catch(function () { /* the node itself is down: keep the lists shown */ });
    }, parseInt(lists.getAttribute("data-every") || "5000", 10));
  }

  // The sync indicator on every page: refreshed without reloading the page, at least once per
  // sync interval (data-every), so "offline since HH:MM" shows within one interval of an outage.
  var bar = $("#sync-badge[data-refresh]");
  if (bar) {
    setInterval(function () {
      fetch(bar.getAttribute("data-refresh"), {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          bar.innerHTML = html;
          bar.classList.toggle("warn", !bar.querySelector(".sync-state.online") || !!bar.querySelector(".sync-alert"));
        })
        .catch(function () { /* the node itself is down: keep the last words */ });
    }, parseInt(bar.getAttribute("data-every") || "20000", 10));
  }

  // Due date preview: refresh while the form stays open (the clock moves on).
  var due = $("#due-preview");
  function refresh() {
    fetch(due.getAttribute("data-url"), {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (p) { due.textContent = p.due_at; var rc = $("#recv-preview"); if (rc) rc.textContent = p.received_at; });
  }
  if (due) { setInterval(refresh, 60000); }

  // USB transfer: poll the status while the background thread works, then show the summary.
  var usb = $("[data-ferry-status]");
  if (usb && usb.getAttribute("data-state") === "running") {
    var poll = setInterval(function () {
      fetch(usb.getAttribute("data-ferry-status"), {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (s) {
          $("#usb-progress").value = s.percent; $("#usb-label").textContent = s.label + " (" + s.percent + "%)";
          if (s.state !== "running") { clearInterval(poll); window.location.reload(); }
        });
    }, 500);
  }
})();
