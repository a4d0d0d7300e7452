// "Reply" links fill the comment form in place: the comment answered and "@Name " in the text.
// Without this script the same links reload the page with the form filled in by the server.
"use strict";

document.addEventListener("click", (event) => {
  const link = event.target.closest("a.comment-reply");
  const form = document.getElementById("comment-form");
  if (!link || !form) {
    return;
  }
  const comment = link.closest("li.comment");
  event.preventDefault();
  form.elements.parent_id.value = comment.id.replace("comment-", "");
  // The server's "In reply to…" line named the comment chosen before this click.
  const note = form.querySelector(".replying");
  if (note) {
    note.hidden = true;
  }
  const body = form.elements.body;
  const mention = `@${comment.querySelector(".comment-author").textContent.trim()} `;
  // Replace an earlier reply's "@Name " rather than piling them up.
  const previous = form.dataset.mention || "";
  const text = previous && body.value.startsWith(previous) ? body.value.slice(previous.length) : body.value;
  body.value = mention + text;
  form.dataset.mention = mention;
  body.focus();
  body.setSelectionRange(body.value.length, body.value.length);
});

// One click sends the comment once: a second click, or Enter pressed again while the page
// loads, would send the same form twice (the server keeps one, but the reader waits twice).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id !== "comment-form") {
    return;
  }
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
  const form = document.getElementById("comment-form");
  if (form && form.dataset.sending) {
    delete form.dataset.sending;
    const button = form.querySelector("button[type=submit]");
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
});
