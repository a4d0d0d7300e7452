// The settings page: choosing a language whose usual time zone stands out (French: Paris) while
// the site still has the default zone selects that zone at once, and says so; going back to the
// language before puts the default back. Without this script the server applies the same rule
// when the form is saved, and says so in its message.
"use strict";

(() => {
  const form = document.querySelector("form[data-usual-timezones]");
  if (!form) {
    return;
  }
  const { language, timezone, timezone_proposed: proposed } = form.elements;
  const note = document.getElementById("timezone-note");
  const usual = JSON.parse(form.dataset.usualTimezones);
  const fallback = form.dataset.defaultTimezone;
  let ours = null; // the zone this script selected, while it is still selected

  proposed.value = "1"; // the zone sent is the one she saw: the server keeps it
  language.addEventListener("change", () => {
    if (ours !== null && timezone.value === ours) {
      timezone.value = fallback;
      note.textContent = "";
    }
    ours = null;
    const wanted = usual[language.value];
    if (wanted && timezone.value === fallback) {
      timezone.value = wanted;
      ours = wanted;
      note.textContent = note.dataset.message;
    }
  });
})();
