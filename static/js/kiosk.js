/* Kiosk helpers, ES2017, all optional: idle reset, "Masih di sini?", read aloud in id-ID. */
(function () {
  "use strict";
  var main = document.querySelector("main[data-idle]");
  var resetForm = document.getElementById("idle-reset");

  // Idle: welcome and result screens reset; elsewhere ask first, then reset if nobody answers.
  if (main && resetForm) {
    var mode = main.getAttribute("data-idle");
    var idle = parseInt(main.getAttribute("data-idle-seconds"), 10) || 90;
    var ask = parseInt(main.getAttribute("data-ask-seconds"), 10) || 180;
    var dialog = document.getElementById("still-there");
    var yes = document.getElementById("still-there-yes");
    var timer = null;
    var graceTimer = null;

    var arm = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(onIdle, (mode === "reset" ? idle : ask) * 1000);
    };
    var onIdle = function () {
      if (mode === "reset") { resetForm.submit(); return; }
      dialog.hidden = false;
      yes.focus();
      graceTimer = window.setTimeout(function () { resetForm.submit(); }, 60000);
    };
    yes.addEventListener("click", function () {
      window.clearTimeout(graceTimer);
      dialog.hidden = true;
      arm();
    });
    ["click", "keydown", "touchstart", "input", "scroll"].forEach(function (name) {
      document.addEventListener(name, function () { if (dialog.hidden) { arm(); } }, { passive: true });
    });
    arm();
  }

  // Read aloud with an Indonesian voice; the buttons stay hidden where there is none.
  var synth = window.speechSynthesis;
  var buttons = document.querySelectorAll("[data-speak]");
  if (!synth || !buttons.length || !window.SpeechSynthesisUtterance) { return; }
  var voice = null;
  var pick = function () {
    var voices = synth.getVoices();
    voice = null;
    for (var i = 0; i < voices.length; i += 1) {
      if ((voices[i].lang || "").toLowerCase().indexOf("id") === 0) { voice = voices[i]; break; }
    }
    Array.prototype.forEach.call(buttons, function (button) { button.hidden = !voice; });
  };
  pick();
  if (typeof synth.addEventListener === "function") { synth.addEventListener("voiceschanged", pick); }
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      synth.cancel();
      var utterance = new window.SpeechSynthesisUtterance(button.getAttribute("data-speak"));
      utterance.lang = "id-ID";
      utterance.voice = voice;
      utterance.rate = 0.9;
      synth.speak(utterance);
    });
  });
})();
