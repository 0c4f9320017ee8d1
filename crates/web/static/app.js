// Sluice web interface: the little JavaScript it has (no inline script: the
// Content-Security-Policy forbids it). Everything works without it; this adds
// clickable rows and the "Visible columns" menu, remembered in localStorage.
"use strict";

const HIDDEN_COLUMNS_KEY = "sluice.logs.hiddenColumns";

function hiddenColumns() {
  try {
    const stored = JSON.parse(window.localStorage.getItem(HIDDEN_COLUMNS_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter((name) => typeof name === "string") : [];
  } catch (error) {
    return [];
  }
}

function applyColumns(table, hidden) {
  for (const cell of table.querySelectorAll("[data-column]")) {
    cell.hidden = hidden.includes(cell.getAttribute("data-column"));
  }
}

function setUpColumns() {
  const menu = document.getElementById("visible-columns");
  const table = document.getElementById("log-table");
  if (!menu || !table) {
    return;
  }
  const hidden = hiddenColumns();
  for (const box of menu.querySelectorAll("input[data-column]")) {
    box.checked = !hidden.includes(box.getAttribute("data-column"));
    box.addEventListener("change", () => {
      const now = Array.from(menu.querySelectorAll("input[data-column]"))
        .filter((other) => !other.checked)
        .map((other) => other.getAttribute("data-column"));
      window.localStorage.setItem(HIDDEN_COLUMNS_KEY, JSON.stringify(now));
      applyColumns(table, now);
    });
  }
  applyColumns(table, hidden);
}

function setUpRowLinks() {
  for (const row of document.querySelectorAll("tr[data-href]")) {
    row.addEventListener("click", (event) => {
      // Links, buttons and forms inside the row keep their own meaning.
      if (event.target.closest("a, button, form, input")) {
        return;
      }
      const href = row.getAttribute("data-href");
      if (href && href.startsWith("/")) {
        window.location.assign(href);
      }
    });
  }
}

// The quarantine's "select all" box (the bulk form works without it).
function setUpSelectAll() {
  const all = document.getElementById("select-all");
  if (!all) {
    return;
  }
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll("input.select")) {
      box.checked = all.checked;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpColumns();
  setUpRowLinks();
  setUpSelectAll();
});
