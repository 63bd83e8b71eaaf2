/*
 * The manager's quota grid, as fast as a spreadsheet.
 *
 * The page works without this file (a form that saves every cell at once). With it:
 * arrow keys, Tab and Enter move between cells; a cell saves as soon as you leave it; a
 * block pasted from a spreadsheet (tab-separated rows) fills the cells it covers and saves
 * them together; Ctrl+R (or "Fill right") copies a cell to the rest of its row; totals,
 * each team's allocation and each cell's achievability follow every keystroke.
 *
 * Achievability (DESIGN 4.2) is computed here exactly as quotas/rules does it on the
 * server, in whole numbers (BigInt) and never in floating point:
 *   effective = amount × ramp% × days ÷ tenant work days, rounded half up to the unit
 *               (days: employed work days, or capacity days when time off prorates);
 *   flagged   = effective × trailing capacity days > multiple × trailing achieved ×
 *               the month's capacity days (both rates known, something required);
 *   ratio     = (effective ÷ capacity days) ÷ (trailing achieved ÷ trailing days), to 0.01.
 * The figures come from the page's data-* attributes; tests hold both sides equal.
 *
 * Saving posts the changed cells with the version each one read; the server answers with
 * the saved values and versions, totals, or errors by cell ("changed by someone else"
 * shows the current value instead of overwriting it).
 */
(function () {
  "use strict";

  var table = document.getElementById("quota-grid");
  if (!table) return;
  var form = document.getElementById("grid-form");
  var status = document.getElementById("grid-status");

  // --- Exact arithmetic ------------------------------------------------------------

  var NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?$/;
  var SPACES = /[\s\u00a0\u202f\u2009]+/g;
  var CURRENCY_SIGNS = /^[$€£¥]+|[$€£¥]+$/g;

  /* The text as the server reads it: no spaces, currency signs or code, thousands commas. */
  function normalise(text, currency) {
    var value = String(text || "").replace(SPACES, "");
    if (currency) {
      var upper = value.toUpperCase();
      if (upper.indexOf(currency) === 0) value = value.slice(currency.length);
      if (value.toUpperCase().slice(-currency.length) === currency) {
        value = value.slice(0, -currency.length);
      }
    }
    return value.replace(CURRENCY_SIGNS, "").replace(/,/g, "");
  }

  /* A decimal's value in hundredths (BigInt), or null when it is not a number with at
     most two decimal places. */
  function hundredths(text) {
    var match = NUMBER.exec(text);
    if (!match || (match[2] === "" && !match[3])) return null;
    var fraction = (match[3] || "").replace(/0+$/, "");
    if (fraction.length > 2) return null;
    var value = BigInt(match[2] || "0") * 100n + BigInt((fraction + "00").slice(0, 2));
    return match[1] === "-" ? -value : value;
  }

  /* a × b ÷ d rounded half up (away from zero); b ≥ 0, d > 0. */
  function divRoundHalfUp(a, b, d) {
    var negative = a < 0n;
    var magnitude = negative ? -a : a;
    var rounded = (2n * magnitude * b + d) / (2n * d);
    return negative ? -rounded : rounded;
  }

  /* A number of hundredths as text with ``decimals`` places, grouped or not. */
  function format(value, decimals, grouped) {
    var negative = value < 0n;
    var magnitude = negative ? -value : value;
    var whole = (magnitude / 100n).toString();
    var cents = (magnitude % 100n).toString().padStart(2, "0");
    if (grouped) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var text = decimals ? whole + "." + cents.slice(0, decimals) : whole;
    return (negative ? "-" : "") + text;
  }

  var unitH = hundredths(table.dataset.unit); // 1 for 0.01, 100 for counts.
  var decimals = unitH === 1n ? 2 : 0;
  var multiple = hundredths(table.dataset.multiple); // The multiple × 100.
  var prorate = table.dataset.prorate === "1";
  var currency = (table.dataset.currency || "").toUpperCase();

  /* The effective amount in hundredths (rolldown's rule, DESIGN 4.2). */
  function effective(amountH, rampH, employedDays, capacityDays, tenantWorkDays) {
    if (tenantWorkDays <= 0n) return 0n;
    var days = prorate ? capacityDays : employedDays;
    var units = divRoundHalfUp(amountH, rampH * days, 10000n * tenantWorkDays * unitH);
    return units * unitH;
  }

  /* Achievability of an effective amount (rules.achievability_frame). */
  function judge(effectiveH, capacityDays, trailingH, trailingDays) {
    var known = trailingH !== null && trailingDays > 0n && capacityDays > 0n;
    var result = { flagged: false, ratio: null };
    if (!known) return result;
    result.flagged =
      effectiveH > 0n && effectiveH * trailingDays * 100n > multiple * trailingH * capacityDays;
    if (trailingH > 0n) {
      result.ratio = divRoundHalfUp(effectiveH * trailingDays, 100n, trailingH * capacityDays);
    }
    return result;
  }

  // --- The grid's cells ----------------------------------------------------------------

  var months = Array.prototype.map.call(table.tHead.rows[0].querySelectorAll("th[data-month]"), function (th) {
    return { key: th.dataset.month, tenantWorkDays: BigInt(th.dataset.twd) };
  });
  var rows = Array.prototype.map.call(table.tBodies[0].rows, function (tr) {
    var row = {
      tr: tr,
      member: tr.dataset.member,
      parent: tr.dataset.parent,
      leaf: tr.dataset.leaf === "1",
      trailing: tr.dataset.trailing === "" ? null : hundredths(tr.dataset.trailing),
      trailingDays: BigInt(tr.dataset.trailingDays || "0"),
      total: tr.querySelector("[data-row-total]"),
      allocatedTotal: tr.querySelector("[data-allocated-total]"),
      toggle: tr.querySelector("[data-grid-toggle]"),
      cells: [],
    };
    Array.prototype.forEach.call(tr.querySelectorAll("td[data-key]"), function (td, index) {
      row.cells.push({
        td: td,
        row: row,
        index: index,
        key: td.dataset.key,
        input: td.querySelector("input.grid-input"),
        note: td.querySelector(".grid-note"),
        allocated: td.querySelector("[data-allocated]"),
        rampH: hundredths(td.dataset.ramp),
        employedDays: BigInt(td.dataset.ewd),
        capacityDays: BigInt(td.dataset.cd),
      });
    });
    return row;
  });
  var byMember = {};
  var byKey = {};
  rows.forEach(function (row) {
    byMember[row.member] = row;
    row.cells.forEach(function (cell) {
      byKey[cell.key] = cell;
    });
  });
  rows.forEach(function (row) {
    row.children = rows.filter(function (other) {
      return other.parent === row.member;
    });
  });

  /* The amount a cell holds now, in hundredths: typed, or stored for read-only rows;
     null when empty or not a number. */
  function amountOf(cell) {
    var text = cell.input ? cell.input.value : cell.td.dataset.amount;
    if (!normalise(text, currency)) return null;
    return hundredths(normalise(text, currency));
  }

  function savedAmountOf(cell) {
    return cell.td.dataset.amount === "" ? null : hundredths(cell.td.dataset.amount);
  }

  /* Effective amount and achievability of a cell as it reads now. */
  function assess(cell) {
    var amount = amountOf(cell);
    if (amount === null || amount < 0n || (unitH > 1n && amount % unitH !== 0n)) {
      return { flagged: false, ratio: null, effective: null };
    }
    var month = months[cell.index];
    var eff = effective(amount, cell.rampH, cell.employedDays, cell.capacityDays, month.tenantWorkDays);
    var judged = judge(eff, cell.capacityDays, cell.row.trailing, cell.row.trailingDays);
    judged.effective = eff;
    return judged;
  }

  function showAchievability(cell) {
    var judged = assess(cell);
    var ratioText = judged.ratio === null ? "" : format(judged.ratio, 2, false);
    var shownState = judged.flagged + ":" + ratioText;
    var problem = cell.td.classList.contains("has-error") || cell.td.classList.contains("is-stale");
    // Only touch the page when the judgement changed: 600 cells follow every keystroke.
    if (!problem && cell.shownState === shownState) return judged;
    cell.td.classList.toggle("is-flagged", judged.flagged);
    cell.td.dataset.jsFlagged = judged.flagged ? "1" : "0";
    cell.td.dataset.jsRatio = ratioText;
    if (problem) {
      cell.shownState = null;
      return judged;
    }
    cell.shownState = shownState;
    cell.note.textContent = "";
    if (judged.flagged) {
      // Nothing achieved in the window: any quota is more than the multiple of nothing.
      var ratio = judged.ratio === null ? null : format(judged.ratio, 2, false);
      var shown = document.createElement("span");
      shown.setAttribute("aria-hidden", "true");
      shown.textContent = (ratio || "∞") + "×";
      var said = document.createElement("span");
      said.className = "visually-hidden";
      said.textContent = ratio
        ? "Needs " + ratio + " times the daily rate of the last 90 days"
        : "Nothing achieved in the last 90 days to reach it from";
      cell.note.append(shown, said);
    }
    return judged;
  }

  /* Row totals, team allocations, column totals and the header's share of reps. */
  function recompute() {
    var columns = months.map(function () {
      return 0n;
    });
    var flaggedInColumn = months.map(function () {
      return 0;
    });
    var counted = 0;
    var achievable = 0;
    rows.forEach(function (row) {
      var total = 0n;
      var flagged = false;
      row.cells.forEach(function (cell) {
        var amount = amountOf(cell);
        var judged = showAchievability(cell);
        if (amount !== null) total += amount;
        if (judged.flagged) flagged = true;
        if (row.leaf) {
          if (amount !== null) columns[cell.index] += amount;
          if (judged.flagged) flaggedInColumn[cell.index] += 1;
        }
      });
      row.totalH = total;
      row.total.querySelector("[data-total-value]").textContent = format(total, decimals, true);
      if (row.leaf && total > 0n) {
        counted += 1;
        if (!flagged) achievable += 1;
      }
    });
    rows.forEach(function (row) {
      if (!row.allocatedTotal) return;
      var allocatedTotal = 0n;
      row.cells.forEach(function (cell) {
        var allocated = 0n;
        row.children.forEach(function (child) {
          var amount = amountOf(child.cells[cell.index]);
          if (amount !== null) allocated += amount;
        });
        allocatedTotal += allocated;
        var own = amountOf(cell);
        cell.allocated.textContent = format(allocated, decimals, true);
        cell.allocated.classList.toggle("is-under", own !== null && allocated < own);
        cell.allocated.classList.toggle("is-over", own !== null && allocated > own);
      });
      row.allocatedTotal.textContent = format(allocatedTotal, decimals, true);
    });
    var grand = 0n;
    columns.forEach(function (total, index) {
      grand += total;
      table.querySelector('[data-column-total="' + index + '"]').textContent = format(total, decimals, true);
      table.querySelector('[data-column-flagged="' + index + '"]').textContent = flaggedInColumn[index];
    });
    document.querySelectorAll("[data-grid-grand]").forEach(function (node) {
      node.textContent = format(grand, decimals, true);
    });
    var share = document.querySelector("[data-grid-achievable]");
    var pct = document.querySelector("[data-grid-achievable-pct]");
    if (share) share.textContent = counted ? achievable + " of " + counted : "—";
    if (pct) pct.textContent = counted ? Math.round((100 * achievable) / counted) + "%" : "No quotas yet";
  }

  // --- Saving --------------------------------------------------------------------------

  var pending = new Set(); // Keys changed and not yet saved.
  var inflight = null;
  var sending = {}; // Key → the value on its way to the server.
  var lastSaveOk = true;
  var refused = {}; // Key → the value the server refused (not sent again until changed).

  function isChanged(cell) {
    if (inflight && sending[cell.key] === cell.input.value) return false;
    if (refused[cell.key] === cell.input.value) return false;
    var now = normalise(cell.input.value, currency);
    var saved = savedAmountOf(cell);
    if (!now) return saved !== null;
    var amount = hundredths(now);
    return amount === null || saved === null || amount !== saved;
  }

  function say(message) {
    status.textContent = message;
  }

  function clearProblem(cell) {
    delete refused[cell.key];
    cell.td.classList.remove("has-error", "is-stale");
    cell.input.removeAttribute("aria-invalid");
  }

  function markProblem(cell, message, stale) {
    cell.td.classList.add(stale ? "is-stale" : "has-error");
    cell.input.setAttribute("aria-invalid", "true");
    cell.note.textContent = message;
  }

  /* The version a cell read travels in its input's name: c-<member>-<YYYY-MM>-v<version>. */
  function setVersion(cell, version) {
    cell.input.name = cell.input.name.replace(/-v\d+$/, "") + "-v" + version;
  }

  function applyCells(cells) {
    Object.keys(cells || {}).forEach(function (key) {
      var cell = byKey[key];
      var data = cells[key];
      if (!cell || !cell.input) return;
      var saved = data.amount === null ? null : hundredths(data.amount);
      var value = saved === null ? "" : format(saved, decimals, false);
      var typed = normalise(cell.input.value, currency);
      var sameAsTyped = typed !== "" && saved !== null && hundredths(typed) === saved;
      var untouched = document.activeElement !== cell.input || sending[key] === cell.input.value;
      if (sameAsTyped && untouched) cell.input.value = value; // "1,000" reads back "1000.00".
      cell.td.dataset.amount = value;
      setVersion(cell, data.version);
      cell.td.dataset.flagged = data.flagged ? "1" : "0";
      cell.td.dataset.ratio = data.ratio || "";
      ["draft", "published", "acknowledged"].forEach(function (name) {
        cell.td.classList.toggle("is-" + name, data.status === name);
      });
      clearProblem(cell);
    });
  }

  function handle(sent, answer) {
    var data = answer.data || {};
    applyCells(data.cells);
    lastSaveOk = answer.status === 200;
    if (answer.status === 200) {
      say(data.message || "Saved.");
    } else {
      // Nothing was saved: mark each refused cell; the others wait for the next save.
      var errors = data.errors || {};
      var stale = data.stale || {};
      sent.forEach(function (key) {
        if (!(key in errors) && !(key in stale)) pending.add(key);
      });
      Object.keys(errors).forEach(function (key) {
        var cell = byKey[key];
        if (!cell || !cell.input) return;
        if (key in stale) {
          var current = format(hundredths(stale[key].amount), decimals, false);
          var theirs = format(hundredths(stale[key].amount), decimals, true);
          var yours = cell.input.value;
          cell.td.dataset.amount = current;
          setVersion(cell, stale[key].version);
          cell.input.value = current;
          markProblem(cell, "Changed by someone else: now " + theirs + ". Yours (" + yours + ") was not saved.", true);
        } else {
          refused[key] = cell.input.value;
          markProblem(cell, errors[key], false);
        }
      });
      say(data.message || "Nothing was saved.");
      showSaveButton();
    }
    if (!pending.size && answer.status === 200 && data.drafts !== undefined) {
      document.querySelectorAll("[data-grid-drafts]").forEach(function (node) {
        node.textContent = data.drafts;
      });
    }
    recompute();
  }

  function flush() {
    if (inflight) return inflight;
    if (!pending.size) return Promise.resolve();
    var keys = Array.from(pending);
    pending.clear();
    sending = {};
    var body = new URLSearchParams();
    body.append("year", table.dataset.year);
    body.append("metric", table.dataset.metric);
    keys.forEach(function (key) {
      var cell = byKey[key];
      sending[key] = cell.input.value;
      body.append(cell.input.name, cell.input.value);
    });
    say("Saving…");
    inflight = fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: body,
    })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) {
          // A login page after the session ended, or an error page: nothing was saved.
          var error = new Error(
            response.redirected || response.status === 403
              ? "Your session has ended: log in again in another tab, then save again."
              : "The server could not save (" + response.status + "): try again."
          );
          error.shown = true;
          throw error;
        }
        return response.json().then(function (data) {
          return { status: response.status, data: data };
        });
      })
      .then(function (answer) {
        handle(keys, answer);
      })
      .catch(function (error) {
        lastSaveOk = false;
        keys.forEach(function (key) {
          pending.add(key);
        });
        say(error && error.shown ? error.message : "Could not reach the server: your changes are not saved yet.");
        showSaveButton();
      })
      .finally(function () {
        inflight = null;
      });
    return inflight;
  }

  /* Save everything waiting, including cells typed while an earlier save was under way;
     stops at a refused save (its cells stay marked until they are changed). */
  function flushAll() {
    return flush().then(function () {
      if (inflight || (pending.size && lastSaveOk)) return flushAll();
    });
  }

  function commit(cell) {
    if (cell && cell.input && isChanged(cell)) pending.add(cell.key);
    return flushAll();
  }

  function commitMany(cells) {
    cells.forEach(function (cell) {
      if (isChanged(cell)) pending.add(cell.key);
    });
    return flushAll();
  }

  var saveButton = form.querySelector("[data-grid-submit] button");
  function showSaveButton() {
    saveButton.textContent = "Save unsaved cells";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    rows.forEach(function (row) {
      row.cells.forEach(function (cell) {
        if (cell.input && isChanged(cell)) pending.add(cell.key);
      });
    });
    lastSaveOk = true;
    flushAll();
  });

  window.addEventListener("beforeunload", function (event) {
    if (pending.size || inflight) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- Moving around -------------------------------------------------------------------

  var active = null; // The cell last focused.

  function editableRows() {
    return rows.filter(function (row) {
      return !row.tr.hidden && row.cells.length && row.cells[0].input;
    });
  }

  function focusCell(cell) {
    if (!cell || !cell.input) return false;
    cell.input.focus();
    cell.input.select();
    return true;
  }

  function neighbour(cell, rowStep, columnStep, wrap) {
    var visible = editableRows();
    var r = visible.indexOf(cell.row);
    var c = cell.index + columnStep;
    if (wrap && c >= months.length) {
      r += 1;
      c = 0;
    } else if (wrap && c < 0) {
      r -= 1;
      c = months.length - 1;
    }
    r += rowStep;
    if (r < 0 || r >= visible.length || c < 0 || c >= months.length) return null;
    return visible[r].cells[c];
  }

  function caretAtStart(input) {
    return input.selectionStart === 0 && input.selectionEnd === 0;
  }
  function caretAtEnd(input) {
    return input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
  }
  function allSelected(input) {
    return input.selectionStart === 0 && input.selectionEnd === input.value.length;
  }

  function cellOf(target) {
    var td = target.closest && target.closest("td[data-key]");
    return td ? byKey[td.dataset.key] : null;
  }

  table.addEventListener("focusin", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.target !== cell.input) return;
    active = cell;
    cell.td.classList.add("is-active");
    cell.input.select();
    var spreadMember = document.getElementById("spread-member");
    if (spreadMember && spreadMember.querySelector('option[value="' + cell.row.member + '"]')) {
      spreadMember.value = cell.row.member;
    }
  });

  table.addEventListener("focusout", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.target !== cell.input) return;
    cell.td.classList.remove("is-active");
    var onItsWay = inflight && sending[cell.key] === cell.input.value;
    if (isChanged(cell)) {
      commit(cell);
    } else if (!onItsWay && !cell.td.classList.contains("has-error") && !cell.td.classList.contains("is-stale")) {
      cell.input.value = cell.td.dataset.amount; // "1200" reads back as "1200.00".
    }
  });

  table.addEventListener("input", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.target !== cell.input) return;
    clearProblem(cell);
    var text = normalise(cell.input.value, currency);
    if (text && hundredths(text) === null) cell.input.setAttribute("aria-invalid", "true");
    recompute();
  });

  table.addEventListener("keydown", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.target !== cell.input) return;
    var input = cell.input;
    var target = null;
    switch (event.key) {
      case "ArrowUp":
        target = neighbour(cell, -1, 0, false);
        break;
      case "ArrowDown":
        target = neighbour(cell, 1, 0, false);
        break;
      case "ArrowLeft":
        if (caretAtStart(input) || allSelected(input)) target = neighbour(cell, 0, -1, false);
        else return;
        break;
      case "ArrowRight":
        if (caretAtEnd(input) || allSelected(input)) target = neighbour(cell, 0, 1, false);
        else return;
        break;
      case "Enter":
        event.preventDefault();
        commit(cell);
        target = neighbour(cell, event.shiftKey ? -1 : 1, 0, false);
        break;
      case "Tab":
        target = neighbour(cell, 0, event.shiftKey ? -1 : 1, true);
        if (!target) return; // Leave the grid as usual from its first or last cell.
        break;
      case "Escape":
        input.value = cell.td.dataset.amount;
        clearProblem(cell);
        recompute();
        input.select();
        event.preventDefault();
        return;
      default:
        if ((event.key === "r" || event.key === "R") && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          fillRight(cell);
        }
        return;
    }
    if (target) {
      event.preventDefault();
      focusCell(target);
    } else if (event.key.indexOf("Arrow") === 0) {
      event.preventDefault();
    }
  });

  // --- Pasting, filling ----------------------------------------------------------------

  table.addEventListener("paste", function (event) {
    var cell = cellOf(event.target);
    if (!cell || event.target !== cell.input) return;
    var text = (event.clipboardData || window.clipboardData).getData("text/plain");
    if (!/[\t\r\n]/.test(text.replace(/[\r\n]+$/, ""))) return; // One value: paste as usual.
    event.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    var visible = editableRows();
    var top = visible.indexOf(cell.row);
    var filled = [];
    var left = 0;
    lines.forEach(function (line, i) {
      line.split("\t").forEach(function (value, j) {
        var row = visible[top + i];
        var column = cell.index + j;
        if (!row || column >= months.length) {
          left += 1;
          return;
        }
        var target = row.cells[column];
        target.input.value = value.trim();
        clearProblem(target);
        filled.push(target);
      });
    });
    recompute();
    commitMany(filled).then(function () {
      if (left) say(status.textContent + " " + left + " pasted value" + (left > 1 ? "s" : "") + " fell outside the grid and " + (left > 1 ? "were" : "was") + " left out.");
    });
  });

  function fillRight(cell) {
    if (!cell || !cell.input) return;
    var filled = cell.row.cells.slice(cell.index + 1);
    filled.forEach(function (target) {
      target.input.value = cell.input.value;
      clearProblem(target);
    });
    recompute();
    commitMany([cell].concat(filled));
  }

  // --- Teams, tools, bulk forms ----------------------------------------------------------

  function setOpen(row, open) {
    row.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    showChildren(row, open);
  }

  function showChildren(row, show) {
    row.children.forEach(function (child) {
      child.tr.hidden = !show;
      if (child.toggle) showChildren(child, show && child.toggle.getAttribute("aria-expanded") === "true");
    });
  }

  rows.forEach(function (row) {
    if (!row.toggle) return;
    row.toggle.hidden = false;
    row.toggle.addEventListener("click", function () {
      setOpen(row, row.toggle.getAttribute("aria-expanded") !== "true");
    });
  });

  var tools = document.querySelector("[data-grid-tools]");
  if (tools) {
    tools.hidden = false;
    tools.querySelector("[data-grid-fill-right]").addEventListener("click", function () {
      if (active) fillRight(active);
      else say("Choose a cell first: its value fills the rest of its row.");
    });
    tools.querySelectorAll("[data-grid-expand]").forEach(function (button) {
      button.addEventListener("click", function () {
        // The top of the tree stays open: closing it would leave one row.
        var open = button.dataset.gridExpand === "all";
        var tops = rows.filter(function (row) {
          return !row.parent || !byMember[row.parent];
        });
        rows.forEach(function (row) {
          var expanded = open || tops.indexOf(row) >= 0;
          if (row.toggle) row.toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
        });
        tops.forEach(function (row) {
          showChildren(row, true);
        });
      });
    });
  }

  // Bulk actions save what is being typed first, and take the rows ticked in the grid.
  document.querySelectorAll("form[data-grid-flush]").forEach(function (bulk) {
    bulk.addEventListener("submit", function (event) {
      if (bulk.dataset.gridRows !== undefined) {
        bulk.querySelectorAll("input[data-ticked]").forEach(function (node) {
          node.remove();
        });
        document.querySelectorAll('input[form="grid-publish"][name="member"]:checked').forEach(function (box) {
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = "member";
          hidden.value = box.value;
          hidden.dataset.ticked = "";
          bulk.append(hidden);
        });
      }
      if (!pending.size && !inflight) return;
      event.preventDefault();
      var submitter = event.submitter;
      flushAll().then(function () {
        if (!pending.size) bulk.requestSubmit(submitter);
      });
    });
  });

  saveButton.textContent = "Save now";
  recompute();

  // For the browser tests, which check these against the server's figures.
  window.quotaGrid = {
    hundredths: hundredths,
    effective: effective,
    judge: judge,
    assess: function (key) {
      var judged = assess(byKey[key]);
      return {
        flagged: judged.flagged,
        ratio: judged.ratio === null ? null : format(judged.ratio, 2, false),
        effective: judged.effective === null ? null : format(judged.effective, 2, false),
      };
    },
    flush: flushAll,
    pending: function () {
      return pending.size + (inflight ? 1 : 0);
    },
  };
})();
