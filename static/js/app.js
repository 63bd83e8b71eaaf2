/*
 * Small enhancements for the application shell. Everything works without this file;
 * it only adds conveniences: dismissing messages, closing the user menu when clicking
 * elsewhere, and closing menus with the Escape key.
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) {
      var item = dismiss.closest("li, .alert");
      if (item) item.remove();
      return;
    }
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.usermenu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
    });
    var toggle = document.getElementById("nav-toggle");
    if (toggle && toggle.checked) toggle.checked = false;
  });
})();
