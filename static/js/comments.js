// The comment form, enhanced: "Reply" links fill it in place and say whom the reply answers
// ("Cancel the reply" undoes it), a counter tells how many characters are left, the error
// summary's links lead to their field with its label in sight, and one click sends the comment
// once. Without this script the same links reload the page with the form filled in by the
// server, and the server alone says when a comment is too long.
"use strict";

(() => {
  const form = document.querySelector("form#comment-form");
  if (!form) {
    return;
  }
  const body = form.elements.body;
  const replyContext = document.getElementById("comment-reply-context");
  const replyText = replyContext.querySelector("span");

  // The server's words, with "{num}" and "{name}" where the values go.
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);

  // The text without the "@Name " the current reply put at its start (if it is still there).
  const withoutMention = (text) => {
    const mention = form.dataset.mention || "";
    return mention && text.startsWith(mention) ? text.slice(mention.length) : text;
  };

  // --- The counter ---------------------------------------------------------------------------

  const max = Number(form.dataset.max);
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  const counter = document.createElement("p");
  counter.id = "comment-body-count";
  counter.className = "help";
  // Read once typing pauses, and only near the limit: a count read at every key would drown
  // what the visitor types.
  const announced = document.createElement("p");
  announced.id = "comment-body-count-status";
  announced.className = "visually-hidden";
  announced.setAttribute("aria-live", "polite");
  body.after(counter, announced);
  const described = body.getAttribute("aria-describedby");
  body.setAttribute("aria-describedby", described ? `${described} ${counter.id}` : counter.id);
  let pause;

  const count = () => {
    // As the server counts: characters, not UTF-16 units, without the blank edges.
    const left = max - [...body.value.trim()].length;
    const template = left < 0 ? form.dataset.over : form.dataset.left;
    const message = fill(template, { num: numbers.format(Math.abs(left)) });
    counter.textContent = message;
    counter.classList.toggle("error", left < 0);
    clearTimeout(pause);
    pause = setTimeout(() => {
      announced.textContent = left <= max / 10 ? message : "";
    }, 1000);
  };
  body.addEventListener("input", count);
  count();

  // --- Replies -------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.comment-reply");
    if (!link) {
      return;
    }
    const comment = link.closest("li.comment");
    event.preventDefault();
    const name = comment.querySelector(".comment-author").textContent.trim();
    const number = comment.querySelector(".comment-number").textContent.trim();
    form.elements.parent_id.value = comment.id.replace("comment-", "");
    // Replace an earlier reply's "@Name " rather than piling them up.
    const mention = `@${name} `;
    body.value = mention + withoutMention(body.value);
    form.dataset.mention = mention;
    replyText.textContent = fill(form.dataset.replying, { num: number, name });
    replyContext.hidden = false;
    // Whom the reply answers, and its "cancel", in sight above the text the cursor is in.
    replyContext.scrollIntoView({ block: "start" });
    body.focus({ preventScroll: true });
    body.setSelectionRange(body.value.length, body.value.length);
    count();
  });

  replyContext.querySelector(".reply-cancel").addEventListener("click", (event) => {
    event.preventDefault();
    form.elements.parent_id.value = "";
    // An "@Name" left at the start would make the comment a reply to that name all the same.
    body.value = withoutMention(body.value);
    delete form.dataset.mention;
    replyContext.hidden = true;
    replyText.textContent = "";
    // A reload of this page must not bring the reply back.
    const address = new URL(window.location.href);
    if (address.searchParams.has("replyto")) {
      address.searchParams.delete("replyto");
      window.history.replaceState(null, "", address);
    }
    body.focus();
    count();
  });

  // --- The error summary ---------------------------------------------------------------------

  // The action's fragment gives it the focus; a reload restores the scroll position instead,
  // and the focus is given here.
  const summary = document.getElementById("comment-errors");
  if (summary && (!document.activeElement || document.activeElement === document.body)) {
    summary.focus();
  }

  // Its links lead to a field: the field takes the focus with its label in sight above it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".error-summary a[href^='#']");
    const control = link && document.getElementById(link.hash.slice(1));
    if (!control) {
      return;
    }
    event.preventDefault();
    (form.querySelector(`label[for="${control.id}"]`) || control).scrollIntoView();
    control.focus({ preventScroll: true });
  });

  // --- Sending -------------------------------------------------------------------------------

  // One click sends the comment once: a second click, or Enter pressed again while the page
  // loads, would send the same form twice (the server keeps one, but the reader waits twice).
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  });

  // Back to a page kept in the browser's memory: the form can be sent again.
  window.addEventListener("pageshow", () => {
    if (form.dataset.sending) {
      delete form.dataset.sending;
      const button = form.querySelector("button[type=submit]");
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
})();
