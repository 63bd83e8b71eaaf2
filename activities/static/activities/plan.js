// The daily plan: reorder by keyboard (Alt+↑ / Alt+↓ on a focused task, or the Move up /
// Move down buttons) and by drag and drop (HTML5 drag events), and preselect a type's
// default minutes when completing. Without this file every button still posts a form.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function tasksOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll(":scope > .plan-task"));
  }

  function announce(list, text) {
    var plan = list.closest("[data-plan]");
    var live = plan && plan.querySelector("[data-plan-live]");
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = text; }, 50);
    }
  }

  function titleOf(task) {
    var title = task.querySelector(".plan-task-title");
    return title ? title.textContent.trim() : "Task";
  }

  function refreshButtons(list) {
    var tasks = tasksOf(list);
    tasks.forEach(function (task, index) {
      var up = task.querySelector("[data-move='up']");
      var down = task.querySelector("[data-move='down']");
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === tasks.length - 1;
    });
  }

  // Send the new order; on failure, reload the page to show the order as it is stored.
  function save(list) {
    var body = new URLSearchParams();
    body.append("date", list.dataset.date);
    tasksOf(list).forEach(function (task) { body.append("ids", task.dataset.taskId); });
    return fetch(list.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
      body: body,
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) window.location.reload();
    }).catch(function () { window.location.reload(); });
  }

  function move(task, offset, focusTarget) {
    var list = task.parentElement;
    var tasks = tasksOf(list);
    var index = tasks.indexOf(task);
    var other = index + offset;
    if (other < 0 || other >= tasks.length) return;
    if (offset < 0) {
      list.insertBefore(task, tasks[other]);
    } else {
      list.insertBefore(task, tasks[other].nextSibling);
    }
    refreshButtons(list);
    var target = focusTarget || task;
    if (target.disabled) target = task;
    target.focus();
    announce(list, titleOf(task) + ": position " + (other + 1) + " of " + tasks.length + ".");
    save(list);
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var origin = event.target;
    if (!origin.closest || origin.matches("input, select, textarea")) return;
    var task = origin.closest(".plan-task");
    if (!task || !task.parentElement || !task.parentElement.dataset.reorderUrl) return;
    event.preventDefault();
    move(task, event.key === "ArrowUp" ? -1 : 1, origin);
  });

  // The Move up / Move down buttons move in place (no reload) and keep the focus.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-move-form")) return;
    var task = form.closest(".plan-task");
    if (!task || !task.parentElement.dataset.reorderUrl) return;
    event.preventDefault();
    var direction = form.querySelector("[name='direction']").value;
    var button = form.querySelector("[data-move]");
    move(task, direction === "up" ? -1 : 1, button);
  });

  // Drag and drop.
  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var task = event.target.closest && event.target.closest(".plan-task[draggable='true']");
    if (!task) return;
    dragged = task;
    task.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", task.dataset.taskId);
  });

  document.addEventListener("dragover", function (event) {
    var task = event.target.closest && event.target.closest(".plan-task");
    if (!dragged || !task || task === dragged || task.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    tasksOf(task.parentElement).forEach(function (t) { t.classList.remove("is-drop-target"); });
    task.classList.add("is-drop-target");
  });

  document.addEventListener("drop", function (event) {
    var task = event.target.closest && event.target.closest(".plan-task");
    if (!dragged || !task || task === dragged || task.parentElement !== dragged.parentElement) return;
    event.preventDefault();
    var list = task.parentElement;
    var tasks = tasksOf(list);
    if (tasks.indexOf(dragged) < tasks.indexOf(task)) {
      list.insertBefore(dragged, task.nextSibling);
    } else {
      list.insertBefore(dragged, task);
    }
    task.classList.remove("is-drop-target");
    refreshButtons(list);
    var position = tasksOf(list).indexOf(dragged) + 1;
    announce(list, titleOf(dragged) + ": position " + position + " of " + tasks.length + ".");
    save(list);
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    tasksOf(dragged.parentElement).forEach(function (t) { t.classList.remove("is-drop-target"); });
    dragged = null;
  });

  // Choosing a type puts its default minutes in the minutes box.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("[data-type-select]")) return;
    var option = select.options[select.selectedIndex];
    var form = select.closest("[data-complete-form]");
    var minutes = form && form.querySelector("[data-minutes-input]");
    if (option && minutes && option.dataset.minutes) minutes.value = option.dataset.minutes;
  });
})();
