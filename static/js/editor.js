/* The writing desk, enhanced: live preview, autosave, a copy kept in the browser when the
   server cannot take it, image upload by button, drop or paste, and Ctrl/Cmd+S.
   Only an enhancement: without this file, the form's own buttons do all of it but autosave. */
(function () {
  "use strict";

  var form = document.getElementById("post-form");
  if (!form) return;

  var PREVIEW_DELAY = 400; // ms after the last keystroke
  var AUTOSAVE_DELAY = 2500; // ms of inactivity before an autosave
  var AUTOSAVE_MAX_WAIT = 20000; // ms of non-stop typing after which it saves anyway

  var data = form.dataset;
  var title = form.elements.title;
  var body = form.elements.body;
  var csrfInput = form.elements.csrf_token;
  var csrfToken = csrfInput ? csrfInput.value : "";
  var postId = data.postId ? parseInt(data.postId, 10) : null;
  var previewSection = document.getElementById("live-preview");
  var previewBody = document.getElementById("preview-body");
  var previewHeading = document.getElementById("preview-heading");
  var wordCount = document.getElementById("word-count");
  var readingTime = document.getElementById("reading-time");
  var autosaveStatus = document.getElementById("autosave-status");
  var sessionNotice = document.getElementById("session-notice");
  var uploadProgress = document.getElementById("upload-progress");

  function currentText() {
    return { title: title.value, body: body.value };
  }

  /* The form's other fields (address, tags, status, date...), kept and restored with the text a
     copy in this browser holds: the server names them (session_ends.KEPT_FIELDS). */
  var keptFields = (data.keptFields || "").split(" ").filter(function (name) {
    return form.elements[name];
  });

  function currentFields() {
    var result = {};
    keptFields.forEach(function (name) {
      var field = form.elements[name];
      result[name] = field.type === "checkbox" ? field.checked : field.value;
    });
    return result;
  }

  function restoreFields(fields) {
    keptFields.forEach(function (name) {
      if (!fields || !(name in fields)) return;
      var field = form.elements[name];
      if (field.type === "checkbox") field.checked = Boolean(fields[name]);
      else field.value = fields[name];
    });
  }

  function sameText(a, b) {
    return a.title === b.title && a.body === b.body;
  }

  function say(element, message, isError) {
    if (!element) return;
    element.textContent = message || "";
    element.classList.toggle("error", Boolean(isError));
  }

  /* Requests: the CSRF token in a header, and a header that makes the server answer in JSON
     (a 401 rather than a redirect to the login page when the session has expired). */
  function headers(extra) {
    var result = { "X-Requested-With": "fetch", Accept: "application/json" };
    if (csrfToken) result["X-CSRFToken"] = csrfToken;
    return Object.assign(result, extra || {});
  }

  function readJSON(response) {
    return response.json().then(
      function (json) { return { status: response.status, ok: response.ok, json: json }; },
      function () { return { status: response.status, ok: response.ok, json: null }; }
    );
  }

  function postJSON(url, payload, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: Boolean(keepalive),
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(payload),
    }).then(readJSON);
  }

  /* One notice at a time above the form: the newest news hides the others (these below). */
  var NOTICES = "#autosave-offer, .local-offer, #session-notice, .restored-notice, .form-saved-notice, .stale-notice";

  function hideNoticesBut(notice) {
    var hidden = [];
    document.querySelectorAll(NOTICES).forEach(function (other) {
      if (other !== notice && !other.hidden) {
        other.hidden = true;
        hidden.push(other);
      }
    });
    return hidden;
  }

  /* The session expired: say so where the author looks, with a way to log in again. The
     notices it hides come back once the server answers again. */
  var hiddenBySession = [];

  function showSessionExpired(json) {
    if (!sessionNotice) return;
    sessionNotice.textContent = "";
    var text = document.createElement("p");
    text.textContent = (json && json.message) || data.textOffline;
    var link = document.createElement("a");
    link.href = data.loginUrl;
    link.className = "button";
    link.textContent = data.textLogIn;
    sessionNotice.append(text, link);
    hiddenBySession = hiddenBySession.concat(hideNoticesBut(sessionNotice));
    sessionNotice.hidden = false;
  }

  function hideSessionNotice() {
    if (!sessionNotice || sessionNotice.hidden) return;
    sessionNotice.hidden = true;
    hiddenBySession.forEach(function (notice) { notice.hidden = false; });
    hiddenBySession = [];
  }

  /* --- Live preview ------------------------------------------------------------------------ */

  var previewTimer = null;
  var previewSequence = 0;

  var previewed = null; // the text the preview and the count show, or are on their way to

  function refreshPreview() {
    var sequence = ++previewSequence;
    previewed = currentText();
    var sentTitle = title.value;
    postJSON(data.previewUrl, { title: sentTitle, body: body.value }).then(function (result) {
      if (sequence !== previewSequence) return; // a newer text is already on its way
      if (result.status === 401) {
        keepLocally(currentText());
        showSessionExpired(result.json);
        return;
      }
      if (!result.ok || !result.json) return;
      // HTML from the server's own sanitizing pipeline, the one the public page uses.
      previewBody.innerHTML = result.json.html;
      // The title in the site's typography, unless she has typed since.
      if (title.value === sentTitle) previewHeading.textContent = result.json.title || data.textUntitled;
      wordCount.textContent = result.json.words_label;
      readingTime.textContent = result.json.reading_label;
    }, function () { /* offline: the autosave says so */ });
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY);
  }

  /* --- Autosave and the copy kept in this browser -------------------------------------------- */

  // What the server holds: the form as it was served, unless it shows text sent back unsaved
  // (after Preview, or a save the form refused).
  var lastStored = data.unsaved ? { title: null, body: null } : currentText();
  var autosaveTimer = null;
  var dirtySince = null;
  var saving = false;
  var saveAgain = false;
  var submitting = false;

  function readLocal(key) {
    try {
      var value = JSON.parse(window.localStorage.getItem(key));
      return value && typeof value.title === "string" && typeof value.body === "string" ? value : null;
    } catch (error) {
      return null;
    }
  }

  function keepLocally(text) {
    try {
      var copy = { title: text.title, body: text.body, fields: currentFields(), at: Date.now() };
      window.localStorage.setItem(data.draftKey, JSON.stringify(copy));
    } catch (error) { /* storage full or refused: the server copy is all there is */ }
  }

  function forgetLocal(key) {
    try {
      window.localStorage.removeItem(key || data.draftKey);
    } catch (error) { /* nothing to forget */ }
  }

  function autosave(keepalive) {
    if (submitting || sameText(currentText(), lastStored)) return Promise.resolve();
    if (saving && !keepalive) {
      saveAgain = true;
      return Promise.resolve();
    }
    var text = currentText();
    var payload = { post_id: postId, kind: data.kind, title: text.title, body: text.body };
    saving = true;
    dirtySince = null;
    return postJSON(data.autosaveUrl, payload, keepalive).then(function (result) {
      if (result.ok) {
        lastStored = text;
        forgetLocal();
        hideSessionNotice();
        say(autosaveStatus, result.json && result.json.message);
        return;
      }
      keepLocally(text);
      if (result.status === 401) {
        showSessionExpired(result.json);
      } else {
        say(autosaveStatus, (result.json && result.json.message) || data.textOffline, true);
      }
    }, function () {
      keepLocally(text);
      say(autosaveStatus, data.textOffline, true);
    }).then(function () {
      saving = false;
      if (saveAgain) {
        saveAgain = false;
        scheduleAutosave();
      }
    });
  }

  function scheduleAutosave() {
    clearTimeout(autosaveTimer);
    if (dirtySince === null) dirtySince = Date.now();
    var wait = Date.now() - dirtySince > AUTOSAVE_MAX_WAIT ? 0 : AUTOSAVE_DELAY;
    autosaveTimer = setTimeout(autosave, wait);
  }

  /* Leaving the page (closing the tab, switching away): send what is left, and keep a copy here
     in case the request does not make it; the next visit sorts out which copy is newer. */
  function leaving() {
    if (submitting || sameText(currentText(), lastStored)) return;
    clearTimeout(autosaveTimer);
    keepLocally(currentText());
    autosave(true);
  }

  window.addEventListener("pagehide", leaving);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leaving();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) submitting = false; // back from the page cache: the form is live again
    // Back to the form, the browser puts the typed values back after the load (Chromium), or
    // shows the page as it was left: the preview and the count follow what the fields hold.
    if (previewed && sameText(previewed, currentText())) return;
    previewHeading.textContent = title.value || data.textUntitled;
    refreshPreview();
  });

  form.addEventListener("submit", function () {
    // Kept until the page that follows shows the same text: a save refused because the session
    // expired loses nothing.
    keepLocally(currentText());
    submitting = true;
    clearTimeout(autosaveTimer);
  });

  /* Copies older than the server keeps autosaves for go, offered or not (one whose form is
     gone is never offered: a copy belongs to its post, or to its one new-post form). */
  function forgetOldCopies() {
    var oldest = Date.now() - Number(data.keepDays) * 24 * 3600 * 1000;
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key.indexOf("causerie:draft:") !== 0) continue;
        var copy = readLocal(key);
        if (!copy || !(copy.at > oldest)) window.localStorage.removeItem(key);
      }
    } catch (error) { /* storage refused: nothing kept either */ }
  }

  /* A copy this browser kept that the server never got: offer it back. */
  function offerLocalCopy() {
    // Kept while the new-post form that made this post was saving: the server has that text.
    if (data.madeByKey) forgetLocal(data.madeByKey);
    var local = readLocal(data.draftKey);
    if (!local) return;
    if (sameText(local, currentText())) {
      forgetLocal();
      return;
    }
    var serverOffer = document.getElementById("autosave-offer");
    if (serverOffer && sameText(local, { title: serverOffer.dataset.title, body: serverOffer.dataset.body })) {
      forgetLocal(); // the server got it after all: its own offer is the same text
      return;
    }
    var notice = document.createElement("section");
    notice.className = "notice local-offer";
    notice.setAttribute("role", "alert");
    var when = new Date(local.at).toLocaleString(document.documentElement.lang || undefined, {
      dateStyle: "long",
      timeStyle: "short",
    });
    var text = document.createElement("p");
    text.textContent = data.textLocalOffer.replace("%(when)s", when);
    var actions = document.createElement("p");
    actions.className = "actions";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = data.textRestore;
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button button-secondary";
    discard.textContent = data.textDiscard;
    actions.append(restore, discard);
    notice.append(text, actions);
    form.parentNode.parentNode.insertBefore(notice, form.parentNode);
    // Kept here after the server's last autosave, so it is the newest text of all.
    var hidden = hideNoticesBut(notice);

    restore.addEventListener("click", function () {
      title.value = local.title;
      body.value = local.body;
      restoreFields(local.fields);
      notice.textContent = "";
      var done = document.createElement("p");
      done.textContent = data.textLocalRestored;
      notice.append(done);
      notice.setAttribute("role", "status");
      previewHeading.textContent = title.value || data.textUntitled;
      refreshPreview();
      autosave(); // the server gets it now; the copy here goes once it has
    });
    discard.addEventListener("click", function () {
      forgetLocal();
      notice.remove();
      hidden.forEach(function (other) { other.hidden = false; });
    });
  }

  /* --- Images --------------------------------------------------------------------------------- */

  var fileInput = form.elements.image;
  var altInput = form.elements.image_alt;
  var uploadButton = form.querySelector('button[name="action"][value="upload"]');
  // The text's selection means something only once the author has been in it: before that it
  // sits at 0, and an image went above the whole post.
  var cursorPlaced = false;
  body.addEventListener("focus", function () { cursorPlaced = true; });

  function newlines(count) {
    return "\n\n".slice(0, Math.max(0, 2 - count));
  }

  /* The image's Markdown as a paragraph of its own: where the author left the cursor, else at
     the end of the text; the cursor then stands after it. */
  function insertImage(markdown) {
    var value = body.value;
    var at = cursorPlaced ? body.selectionEnd : value.length;
    var before = value.slice(0, at);
    var after = value.slice(at);
    var text = (before ? newlines(before.match(/\n*$/)[0].length) : "") + markdown +
      newlines(after.match(/^\n*/)[0].length);
    var scroll = body.scrollTop;
    body.focus();
    body.setRangeText(text, at, at, "end");
    body.scrollTop = scroll;
    body.dispatchEvent(new Event("input", { bubbles: true })); // preview and autosave follow
  }

  /* Upload the chosen file with the description typed beside it, and insert its Markdown. */
  function uploadImage(file) {
    if (!file) {
      say(uploadProgress, data.textChooseFile, true);
      fileInput.focus();
      return Promise.resolve();
    }
    if (file.size > Number(data.uploadMax)) {
      say(uploadProgress, data.textTooLarge, true);
      return Promise.resolve();
    }
    var formData = new FormData();
    formData.append("image", file, file.name || "image");
    formData.append("alt", altInput ? altInput.value : "");
    say(uploadProgress, data.textUploading);
    return fetch(data.uploadUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: headers(),
      body: formData,
    }).then(readJSON).then(function (result) {
      if (result.status === 401) {
        say(uploadProgress, "");
        keepLocally(currentText());
        showSessionExpired(result.json);
      } else if (result.status === 413) {
        say(uploadProgress, data.textTooLarge, true);
      } else if (!result.ok || !result.json || !result.json.markdown) {
        say(uploadProgress, (result.json && result.json.message) || data.textUploadFailed, true);
      } else {
        insertImage(result.json.markdown);
        fileInput.value = "";
        if (altInput) altInput.value = "";
        say(uploadProgress, data.textUploaded);
      }
    }, function () {
      say(uploadProgress, data.textUploadFailed, true);
    });
  }

  /* A file dropped or pasted onto the text becomes the chosen file; the author describes it,
     then uploads it with the form's own button. */
  function chooseFile(file) {
    var transfer = new DataTransfer();
    transfer.items.add(file);
    fileInput.files = transfer.files;
    say(uploadProgress, data.textDescribe.replace("%(name)s", file.name || "image"));
    if (altInput) altInput.focus();
  }

  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }

  if (fileInput && uploadButton) {
    // The same button as without the script, which uploads in the background instead of
    // sending the whole form.
    uploadButton.addEventListener("click", function (event) {
      event.preventDefault();
      uploadImage(fileInput.files[0]);
    });
    // Enter saves the post from every other field; in the description it means this image.
    if (altInput) {
      // That Enter is this script's: the form's first button (Enter's) goes back to a plain
      // save, which it is without the script only when no image is on its way.
      var enterButton = form.querySelector('button[name="action"][value="enter"]');
      if (enterButton) enterButton.value = "save";
      altInput.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || event.isComposing) return;
        event.preventDefault();
        uploadButton.click();
      });
    }
  }
  body.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    body.classList.add("drop-target");
  });
  body.addEventListener("dragleave", function () {
    body.classList.remove("drop-target");
  });
  body.addEventListener("drop", function (event) {
    var files = event.dataTransfer && event.dataTransfer.files;
    body.classList.remove("drop-target");
    if (!files || !files.length || !fileInput) return; // dropped text: the browser inserts it
    event.preventDefault();
    chooseFile(files[0]);
  });
  body.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (!files || !files.length || !fileInput) return;
    event.preventDefault();
    chooseFile(files[0]);
  });

  /* --- Keyboard: Ctrl+S (Cmd+S on a Mac) saves ------------------------------------------------- */

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    if (event.key.toLowerCase() !== "s") return;
    event.preventDefault();
    var save = form.querySelector('button[name="action"][value="save"]');
    if (form.requestSubmit) form.requestSubmit(save);
    else save.click();
  });

  /* The shortcut's hint, with the key this system uses (touch screens hide it: desk.css). */
  var shortcut = document.getElementById("save-shortcut");
  if (shortcut) {
    var platform = navigator.platform || (navigator.userAgentData && navigator.userAgentData.platform) || "";
    if (/^(mac|iphone|ipad|ipod)/i.test(platform)) shortcut.textContent = shortcut.dataset.apple;
    shortcut.hidden = false;
  }

  /* --- Start ---------------------------------------------------------------------------------- */

  previewed = currentText(); // what the server rendered the preview and the count for

  title.addEventListener("input", function () {
    previewHeading.textContent = title.value || data.textUntitled;
    schedulePreview();
    scheduleAutosave();
  });
  body.addEventListener("input", function () {
    schedulePreview();
    scheduleAutosave();
  });

  previewSection.hidden = false;
  document.body.classList.add("has-live-preview");
  forgetOldCopies();
  offerLocalCopy();
  refreshPreview();
  if (data.unsaved) scheduleAutosave();
})();
