/* The answer outbox, ES2017: nothing a villager answers is lost when the connection drops.
 *
 * Every answer goes into an outbox in localStorage with its client id and its attempt's token,
 * and is sent from there, oldest first. The server keys answers by the client id, so a retry,
 * a duplicate or two tabs flushing at once change nothing. While the connection is down the
 * quiz carries on in the page: the questions of the attempt come with it (never which option
 * is right). The outbox survives reloads and the kiosk's reset for the next person, and any
 * page that loads this script sends what is waiting. Over HTTPS a service worker (/sw.js)
 * keeps the pages, so a reload while offline still shows the quiz. Without this script the
 * pages work as plain forms. */
(function () {
  "use strict";
  if (window.sadarOutbox) { return; }
  var KEY = "sadar-outbox-v1";
  var STATE = "sadar-attempt-";
  var storage = null;
  try { storage = window.localStorage; storage.getItem(KEY); } catch (e) { storage = null; }
  if (!storage || !window.fetch || !window.crypto || !window.crypto.getRandomValues) { return; }

  // Where the outbox speaks: a status line in a quiz's form, or the kiosk's line for answers
  // still waiting on the other pages. Its texts come from the page (translated there).
  var quizForm = document.querySelector("form.question-card");
  var statusEl = document.getElementById("outbox-status");
  if (quizForm) {
    statusEl = document.createElement("p");
    statusEl.className = "save-status";
    statusEl.setAttribute("role", "status");
    quizForm.appendChild(statusEl);
  }
  var texts = statusEl ? (quizForm || statusEl).dataset : {};
  var online = true;
  var sentHere = false;
  var flushing = null;

  function read(key, fallback) {
    try { return JSON.parse(storage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) {
    try { storage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function newId() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pending() { return read(KEY, []); }

  function show() {
    if (!statusEl) { return; }
    var count = pending().length;
    var text = "";
    if (count && !online) {
      text = texts.waiting.replace("{n}", count);
      if (!(navigator.serviceWorker && navigator.serviceWorker.controller)) {
        text += " " + texts.noReload;
      }
    } else if (count) {
      text = texts.saving;
    } else if (sentHere) {
      text = texts.saved;
    }
    statusEl.textContent = text;
    statusEl.classList.toggle("is-waiting", count > 0 && !online);
  }

  /* Put an entry in the outbox. An unsent entry with the same key (the same question of the
   * same attempt) is replaced: the newest choice is the one that counts. */
  function enqueue(entry) {
    var list = pending().filter(function (e) { return !entry.key || e.key !== entry.key; });
    list.push(entry);
    write(KEY, list);
    show();
  }

  function drop(id) {
    write(KEY, pending().filter(function (e) { return e.id !== id; }));
  }

  async function sendAll() {
    for (;;) {
      var list = pending();
      if (!list.length) { online = true; show(); return true; }
      var entry = list[0];
      var response;
      try {
        response = await window.fetch(entry.url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Attempt-Token": entry.token
          },
          body: JSON.stringify(entry.body)
        });
      } catch (e) {
        online = false; show(); return false;
      }
      if (response.status >= 500 || response.status === 429) { online = false; show(); return false; }
      // Sent (2xx), or refused for good (a closed attempt, a bad token): it leaves the outbox.
      drop(entry.id);
      sentHere = true;
    }
  }

  /* Send what waits; one flush at a time in this page (another tab may flush too: harmless). */
  function flush() {
    if (!flushing) {
      flushing = sendAll().then(function (ok) { flushing = null; return ok; });
    }
    return flushing;
  }

  window.sadarOutbox = { enqueue: enqueue, flush: flush, pending: pending, newId: newId };
  window.addEventListener("online", flush);
  window.setInterval(function () { if (pending().length) { flush(); } }, 10000);
  show();
  flush();

  if ("serviceWorker" in navigator && window.isSecureContext && location.protocol === "https:") {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { return null; });
  }
  // The kiosk's reset for the next person: forget cached quiz pages (the outbox stays).
  Array.prototype.forEach.call(document.querySelectorAll("form[action$='/kiosk/reset']"), function (form) {
    form.addEventListener("submit", function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget-person");
      }
    });
  });

  var dataEl = document.getElementById("attempt-data");
  if (dataEl) { quiz(JSON.parse(dataEl.textContent)); }

  /* ---- the quiz page: carry on without the server ------------------------------------------ */
  function quiz(data) {
    var form = quizForm;
    if (!form) { return; }
    var total = data.questions.length;
    var current = data.n;
    var local = false;  // true once a question was drawn here instead of by the server
    var state = read(STATE + data.attempt, { answers: {} });
    var lastSaved = null;  // what this page last put in the outbox: a repeat adds nothing
    data.answered.forEach(function (v) { if (!state.answers[v]) { state.answers[v] = true; } });

    function chosen() {
      return Array.prototype.filter.call(form.querySelectorAll("input[name=choice]"), function (i) {
        return i.checked;
      }).map(function (i) { return i.value; });
    }

    function save() {
      var choices = chosen();
      if (!choices.length) { return false; }
      var question = data.questions[current - 1];
      var said = question.v + "=" + choices.join(",");
      if (said === lastSaved) { return true; }
      lastSaved = said;
      var id = newId();
      // A form post after this repeats the save under the same id: a no-op, not a new row.
      form.elements.client_answer_id.value = id;
      state.answers[question.v] = choices;
      write(STATE + data.attempt, state);
      enqueue({
        id: id,
        key: data.attempt + ":" + question.v,
        url: data.answerUrl,
        token: data.token,
        body: { question: question.v, choices: choices, client_answer_id: id }
      });
      return true;
    }

    function url(n) { return n > total ? data.finishUrl : data.questionUrl + n; }

    function dots() {
      Array.prototype.forEach.call(document.querySelectorAll(".quiz-progress .dot"), function (dot, i) {
        var n = i + 1;
        dot.classList.toggle("is-answered", !!state.answers[data.questions[i].v]);
        dot.classList.toggle("is-current", n === current);
        if (n === current) { dot.setAttribute("aria-current", "step"); } else { dot.removeAttribute("aria-current"); }
      });
    }

    function draw(n) {
      local = true;
      current = n;
      history.replaceState(null, "", url(n));
      if (n > total) { done(); return; }
      var question = data.questions[n - 1];
      var fieldset = form.querySelector("fieldset.choices");
      var previous = state.answers[question.v];
      fieldset.textContent = "";
      var legend = document.createElement("legend");
      legend.className = "question-text";
      legend.textContent = question.text;
      fieldset.appendChild(legend);
      question.options.forEach(function (option) {
        var row = document.createElement("div");
        row.className = "choice-row";
        var label = document.createElement("label");
        label.className = "choice";
        var input = document.createElement("input");
        input.type = question.multiple ? "checkbox" : "radio";
        input.name = "choice";
        input.value = option.id;
        input.required = !question.multiple;
        input.checked = Array.isArray(previous) && previous.indexOf(option.id) !== -1;
        var span = document.createElement("span");
        span.textContent = option.text;
        label.appendChild(input);
        label.appendChild(span);
        row.appendChild(label);
        fieldset.appendChild(row);
      });
      form.elements.question.value = question.v;
      form.elements.n.value = n;
      var hint = form.querySelector(".hint");
      if (hint) { hint.textContent = data.texts.question.replace("{n}", n); }
      dots();
      legend.scrollIntoView();
    }

    function done() {
      var missing = data.questions.filter(function (q) { return !state.answers[q.v]; }).length;
      form.textContent = "";
      form.appendChild(statusEl);
      var title = document.createElement("p");
      title.className = "lead";
      title.textContent = data.texts.doneTitle;
      var text = document.createElement("p");
      text.textContent = data.texts.done;
      form.appendChild(title);
      form.appendChild(text);
      if (missing) {
        var warn = document.createElement("p");
        warn.className = "warning";
        warn.textContent = data.texts.missing;
        form.appendChild(warn);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-large";
      button.textContent = data.texts.submit;
      button.addEventListener("click", function () {
        enqueue({ id: newId(), key: "submit:" + data.attempt, url: data.submitUrl, token: data.token, body: {} });
        button.disabled = true;
        flush().then(function (ok) {
          if (ok) { location.assign(data.finishUrl); return; }
          text.textContent = data.texts.submitted;
        });
      });
      form.appendChild(button);
      dots();
    }

    form.addEventListener("change", function () {
      if (data.feedback !== "each") { save(); flush(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen().length) { form.reportValidity(); return; }
      save();
      flush().then(function (ok) {
        if (ok && !local) { form.submit(); return; }  // online: the server shows what comes next
        if (ok) { location.assign(data.feedback === "each" ? data.questionUrl + current : url(current + 1)); return; }
        draw(current + 1);  // offline: carry on here; the outbox sends the answers later
      });
    });

    // A reload while offline may be answered from the service worker's copy of another question
    // of this attempt: show the question the address names.
    var match = /\/(\d+)$/.exec(location.pathname);
    if (/\/finish$/.test(location.pathname)) { draw(total + 1); }
    else if (match && parseInt(match[1], 10) !== data.n && parseInt(match[1], 10) <= total) {
      draw(parseInt(match[1], 10));
    }
  }
})();
