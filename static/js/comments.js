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
