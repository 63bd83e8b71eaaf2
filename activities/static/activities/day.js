/*
 * The Day page's keyboard and one-click entry. Everything works without this file (the
 * form posts and the page comes back); it adds:
 *
 * - `n` opens the log form and focuses its type buttons; a digit 1–9 picks that type;
 * - picking a type fills in its default minutes and marks that preset; a preset button
 *   fills in its minutes;
 * - Enter saves (Shift+Enter makes a new line in the notes); Esc closes the form, or
 *   cancels an activity's edit;
 * - after a search, the first matching account is chosen, and its encroachment warning
 *   asked for.
 */
(function () {
  "use strict";

  function form() {
    return document.querySelector("[data-log-form]");
  }

  function isTyping(element) {
    if (!element) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return !/^(radio|checkbox|button|submit|reset)$/.test(element.type);
  }

  function open(theForm) {
    theForm.classList.remove("is-closed");
  }

  function close(theForm) {
    theForm.classList.add("is-closed");
    var chosen = theForm.querySelector("input[name=type]:checked") || theForm.querySelector("input[name=type]");
    if (chosen) chosen.focus();
  }

  function markPresets(theForm) {
    var input = theForm.querySelector("[data-minutes-input]");
    var chosen = theForm.querySelector("input[name=type]:checked");
    var fallback = chosen ? chosen.getAttribute("data-default") : "";
    var extra = theForm.querySelector("[data-type-default]");
    var inList = false;
    theForm.querySelectorAll(".preset:not([data-type-default])").forEach(function (button) {
      var isDefault = button.getAttribute("data-minutes") === fallback;
      inList = inList || isDefault;
      button.classList.toggle("is-default", isDefault);
    });
    if (extra) {
      extra.hidden = !fallback || inList;
      extra.setAttribute("data-minutes", fallback);
      extra.textContent = fallback;
    }
    theForm.querySelectorAll(".preset").forEach(function (button) {
      button.setAttribute("aria-pressed", String(!!input && button.getAttribute("data-minutes") === input.value));
    });
  }

  function chooseType(theForm, radio, focusMinutes) {
    radio.checked = true;
    open(theForm);
    var input = theForm.querySelector("[data-minutes-input]");
    if (input) input.value = radio.getAttribute("data-default") || "";
    markPresets(theForm);
    askWarning(theForm);
    if (focusMinutes && input) {
      input.focus();
      input.select();
    }
  }

  function askWarning(theForm) {
    var select = theForm.querySelector("[data-account-select]");
    if (select && select.value && window.htmx) window.htmx.trigger(select, "change");
  }

  // Runs on the first load and after each swap of the form has settled: htmx restores
  // the focus and the class of the form it replaced, so this comes after both.
  function setUp(theForm) {
    if (!theForm || theForm.dataset.ready) return;
    var closeButton = theForm.querySelector("[data-log-close]");
    if (closeButton) closeButton.hidden = false;
    var chosen = theForm.querySelector("input[name=type]:checked");
    if (!chosen && !theForm.hasAttribute("data-has-errors")) theForm.classList.add("is-closed");
    markPresets(theForm);
    // After a save, the next entry starts on the type buttons.
    if (theForm.hasAttribute("data-saved") && !chosen) {
      var first = theForm.querySelector("input[name=type]");
      if (first) first.focus();
    }
    theForm.dataset.ready = "1";
  }

  document.addEventListener("change", function (event) {
    var theForm = event.target.closest("[data-log-form]");
    if (!theForm) return;
    if (event.target.name === "type") chooseType(theForm, event.target, false);
    if (event.target.matches("[data-minutes-input]")) markPresets(theForm);
  });

  document.addEventListener("input", function (event) {
    var theForm = event.target.closest("[data-log-form]");
    if (theForm && event.target.matches("[data-minutes-input]")) markPresets(theForm);
  });

  document.addEventListener("click", function (event) {
    var theForm = event.target.closest("[data-log-form]");
    if (!theForm) return;
    var preset = event.target.closest(".preset");
    if (preset) {
      var input = theForm.querySelector("[data-minutes-input]");
      input.value = preset.getAttribute("data-minutes");
      markPresets(theForm);
      input.focus();
      return;
    }
    if (event.target.closest("[data-log-close]")) close(theForm);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var theForm = form();

    if (event.key === "Escape") {
      var editing = target.closest && target.closest("[data-edit-form], [data-delete-form]");
      if (editing) {
        var cancel = editing.querySelector("[data-edit-cancel]");
        if (cancel) {
          event.preventDefault();
          cancel.click();
        }
        return;
      }
      if (theForm && theForm.contains(target)) {
        event.preventDefault();
        close(theForm);
      }
      return;
    }

    if (event.key === "Enter" && !event.shiftKey) {
      var inForm = target.closest && target.closest("[data-log-form], [data-edit-form]");
      // Inputs submit on Enter by themselves; a select, a radio and the notes do not.
      if (inForm && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.type === "radio")) {
        event.preventDefault();
        inForm.requestSubmit();
      }
      return;
    }

    if (!theForm || isTyping(target) || event.shiftKey) return;
    if (event.key === "n") {
      event.preventDefault();
      open(theForm);
      var first = theForm.querySelector("input[name=type]:checked") || theForm.querySelector("input[name=type]");
      if (first) first.focus();
      return;
    }
    if (/^[1-9]$/.test(event.key)) {
      var radio = theForm.querySelector('input[name=type][data-key="' + event.key + '"]');
      if (radio) {
        event.preventDefault();
        chooseType(theForm, radio, true);
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.matches && target.matches("[data-account-select]")) {
      var theForm = target.closest("form");
      var search = theForm && theForm.querySelector("[data-account-search], input[name=q]");
      var firstMatch = target.querySelector("option[value]:not([value='']):not([disabled])");
      if (search && search.value.trim() && firstMatch) {
        target.value = firstMatch.value;
        if (window.htmx && target.hasAttribute("hx-get")) window.htmx.trigger(target, "change");
      }
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    setUp(form());
  });
  document.addEventListener("DOMContentLoaded", function () {
    setUp(form());
  });
})();
