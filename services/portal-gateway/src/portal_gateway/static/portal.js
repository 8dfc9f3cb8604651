// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  const words = {
    en: { more: "Show all", less: "Show less" },
    ru: { more: "Показать полностью", less: "Свернуть" },
  }[lang] || { more: "Show all", less: "Show less" };

  function localTimes() {
    const format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    document.querySelectorAll("time[datetime]").forEach(function (node) {
      const value = node.getAttribute("datetime");
      if (!value) return;
      const date = new Date(value);
      if (!isNaN(date)) {
        node.title = node.textContent;
        node.textContent = format.format(date);
      }
    });
  }

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

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    longEntries();
    selectAll();
    stopDoubleSubmit();
  });
})();
