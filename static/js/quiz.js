/* Saves each answer as soon as it is chosen; the page works without this script. ES2017.
 * One save at a time, always the newest choice: an older save can never land after a newer
 * one, and pressing the button waits for the save in flight. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.crypto) { return; }
  var status = document.createElement("p");
  status.className = "save-status";
  status.setAttribute("role", "status");
  form.appendChild(status);
  var inFlight = null;
  var pending = false;

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function chosen() {
    return Array.prototype.filter.call(form.querySelectorAll("input[name=choice]"), function (input) {
      return input.checked;
    }).map(function (input) { return input.value; });
  }

  function say(name) { status.textContent = form.getAttribute("data-" + name) || ""; }

  function save() {
    var choices = chosen();
    if (!choices.length) { return Promise.resolve(); }
    say("saving");
    var id = newId();
    // The button's form post then repeats this save under the same id: a no-op, not a new row.
    form.elements.client_answer_id.value = id;
    return fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Attempt-Token": form.elements.token.value
      },
      body: JSON.stringify({
        question: form.elements.question.value, choices: choices, client_answer_id: id
      })
    }).then(function (response) { say(response.ok ? "saved" : "failed"); })
      .catch(function () { say("offline"); });
  }

  function schedule() {
    if (inFlight) { pending = true; return inFlight; }
    inFlight = save().then(function () {
      inFlight = null;
      if (pending) { pending = false; return schedule(); }
      return undefined;
    });
    return inFlight;
  }

  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    if (!inFlight) { return; }
    event.preventDefault();
    inFlight.then(function () { form.submit(); });
  });
})();
