// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  const words = {
    en: { more: "Show all", less: "Show less" },
    ru: { more: "Показать полностью", less: "Свернуть" },
  }[lang] || { more: "Show all", less: "Show less" };

  function longEntries() {
    document.querySelectorAll("[data-long]").forEach(function (node) {
      if (node.scrollHeight <= 200) return;
      node.classList.add("clamped");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "more";
      button.textContent = words.more;
      button.setAttribute("aria-expanded", "false");
      button.addEventListener("click", function () {
        const open = node.classList.toggle("clamped") === false;
        button.textContent = open ? words.less : words.more;
        button.setAttribute("aria-expanded", String(open));
      });
      node.after(button);
    });
  }

  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      const name = box.getAttribute("data-select-all");
      box.addEventListener("change", function () {
        box.form.querySelectorAll('input[name="' + name + '"]').forEach(function (item) {
          item.checked = box.checked;
        });
      });
    });
  }

  function stopDoubleSubmit() {
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  }

  // The answers beside the new-incident form follow the category and the title as the
  // client types (without JavaScript, "Show answers" does the same after a submit), and
  // "helped" / "did not help" are answered in place.
  function answerInPlace(root) {
    const box = root.id === "kb-suggestions" ? root : root.querySelector("#kb-suggestions");
    if (!box) return;
    box.querySelectorAll('form[action^="/kb/suggestions/"]').forEach(function (form) {
      form.addEventListener("submit", function (event) {
        // "It solved my problem" leaves the form: the page goes where the answer sends it.
        if (event.submitter && event.submitter.name === "solved") return;
        event.preventDefault();
        const data = new URLSearchParams(new FormData(form));
        if (event.submitter && event.submitter.name) {
          data.set(event.submitter.name, event.submitter.value);
        }
        fetch(form.action, {
          method: "POST", body: data, credentials: "same-origin", redirect: "manual",
        }).then(function (response) {
          if (response.type !== "opaqueredirect" && !response.ok) { form.submit(); return; }
          const note = document.createElement("p");
          note.className = "muted";
          note.setAttribute("role", "status");
          note.setAttribute("data-testid", "kb-answered");
          const helped = data.get("helped") === "1";
          note.textContent = helped
            ? box.getAttribute("data-said-helped") : box.getAttribute("data-said-not-helped");
          const solved = form.querySelector('button[name="solved"]');
          if (helped && solved) {
            // Helped: the client may still say it solved the problem and leave.
            form.querySelectorAll('button[name="helped"], span').forEach(function (node) {
              node.remove();
            });
            form.prepend(note);
            solved.disabled = false;
          } else {
            form.replaceWith(note);
          }
        }, function () { form.submit(); });
      });
    });
  }

  function liveSuggestions() {
    const box = document.getElementById("kb-suggestions");
    const form = document.querySelector('form[action="/incidents/new"]');
    if (!box || !form) return;
    const title = form.querySelector("#title");
    const category = form.querySelector("#category_id");
    if (!title || !category) return;
    let timer = null;
    let asked = "";
    function refresh() {
      const key = new URLSearchParams({
        category_id: category.value, title: title.value.trim(),
      }).toString();
      if (key === asked) return;
      asked = key;
      fetch("/kb/suggest?" + key, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || key !== asked) return;
          const holder = document.createElement("div");
          holder.innerHTML = html;
          const fresh = holder.querySelector("#kb-suggestions");
          const current = document.getElementById("kb-suggestions");
          if (!fresh || !current) return;
          current.replaceWith(fresh);
          answerInPlace(fresh);
        }, function () { /* the button still works */ });
    }
    title.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
    category.addEventListener("change", refresh);
  }

  // Staff insert a suggested article into the reply (the button shows only with script);
  // the reply then links it, as choosing it in the reply's article list does.
  function insertArticles() {
    const reply = document.getElementById("reply-text");
    if (!reply) return;
    const linked = document.getElementById("reply-article");
    document.querySelectorAll("[data-kb-insert]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        const text = button.getAttribute("data-kb-insert");
        reply.value = reply.value ? reply.value.replace(/\s*$/, "") + "\n\n" + text : text;
        if (linked) linked.value = button.getAttribute("data-kb-article") || "";
        reply.focus();
      });
    });
  }

  // The article editor's preview follows the texts as the editor types, and "Preview"
  // refreshes it in place (without script the button shows the form again with it).
  function livePreview() {
    const form = document.querySelector("[data-testid=kb-editor]");
    const button = form && form.querySelector("[data-kb-preview]");
    if (!button) return;
    let timer = null;
    function refresh() {
      const data = new URLSearchParams(new FormData(form));
      fetch("/kb/editor/preview", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          const current = document.getElementById("kb-preview");
          if (html === null || !current) return;
          const holder = document.createElement("div");
          holder.innerHTML = html;
          const fresh = holder.querySelector("#kb-preview");
          if (fresh) current.replaceWith(fresh);
        }, function () { /* the button still works without it */ });
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      refresh();
    });
    form.querySelectorAll("input[name^=title_], textarea[name^=body_]").forEach(function (field) {
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, 500);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    answerInPlace(document);
    livePreview();
    insertArticles();
    liveSuggestions();
    longEntries();
    selectAll();
    stopDoubleSubmit();
  });
})();
