// DOM helpers shared by the views: element building, tables, errors next to fields, busy buttons.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// "ALERT_LEVEL_CRITICAL" → "critical": enum names read as words.
export function word(value, prefix) {
  if (!value) return "—";
  const text = prefix && value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return text.toLowerCase().replaceAll("_", " ");
}

export function number(value) {
  return value === undefined || value === null ? "0" : String(value);
}

export function percent(value) {
  return value === undefined || value === null ? "—" : `${(Number(value) * 100).toFixed(1)} %`;
}

export function minutes(value) {
  return value === undefined || value === null ? "—" : `${Number(value).toFixed(0)} min`;
}

export function time(value) {
  return value ? value.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";
}

// A table with a caption, header row and one row per item; `rowClass` marks rows (breached…).
export function table(caption, columns, items, rowClass) {
  const head = el("tr", {}, columns.map(([label]) => el("th", { scope: "col", text: label })));
  const body = items.map((item) =>
    el(
      "tr",
      { className: rowClass ? rowClass(item) : undefined },
      columns.map(([, cell]) => {
        const value = cell(item);
        return el("td", {}, value instanceof Node ? value : String(value));
      }),
    ),
  );
  return el(
    "div",
    { className: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el("table", {}, el("caption", { text: caption }), el("thead", {}, head), el("tbody", {}, body)),
  );
}

export function definitions(pairs, className = "counts") {
  return el(
    "dl",
    { className },
    pairs.map(([label, value, key]) =>
      el("div", { "data-count": key }, el("dt", { text: label }), el("dd", { text: String(value) })),
    ),
  );
}

function clearErrors(section) {
  for (const node of section.querySelectorAll(".field-error")) node.textContent = "";
  for (const node of section.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const banner = section.querySelector(".form-error");
  if (banner) banner.textContent = "";
}

// The status message in words, and each field violation next to its field (or in the banner).
export function showError(section, error, banner) {
  const box = banner || section.querySelector(".form-error");
  const leftover = [];
  for (const violation of error.violations || []) {
    const field = violation.field.split(/[.[]/)[0];
    const slot = section.querySelector(`.field-error[data-field="${field}"]`);
    if (slot) {
      slot.textContent = violation.description;
      const input = section.querySelector(`[name="${field}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
    } else {
      leftover.push(`${violation.field}: ${violation.description}`);
    }
  }
  const heading = error.httpStatus === 403 ? "Not allowed for this token" : "The request failed";
  box.replaceChildren(
    el("p", {}, el("strong", { text: `${heading}: ` }), error.message || String(error)),
    leftover.length ? el("ul", {}, leftover.map((line) => el("li", { text: line }))) : "",
  );
}

// Run `action` once per submit: the button is disabled and progress shown until it settles.
export function onSubmit(form, action, { progress = "Working…" } = {}) {
  const section = form.closest("section") || form.parentElement;
  const status = form.querySelector(".progress");
  let running = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    const buttons = [...form.querySelectorAll("button")];
    const wasDisabled = buttons.map((button) => button.disabled);
    buttons.forEach((button) => (button.disabled = true));
    form.setAttribute("aria-busy", "true");
    if (status) status.textContent = progress;
    clearErrors(section);
    try {
      await action(new FormData(form));
      if (status) status.textContent = "Done.";
    } catch (error) {
      if (status) status.textContent = "";
      showError(section, error);
    } finally {
      buttons.forEach((button, index) => (button.disabled = wasDisabled[index]));
      form.removeAttribute("aria-busy");
      running = false;
    }
  });
}

// A JSON value shown as text in a <details> block: what an auditor opens to see the record itself.
export function jsonDetails(summary, value) {
  return el("details", { className: "json" }, el("summary", { text: summary }), el("pre", { tabindex: "0", text: JSON.stringify(value, null, 2) }));
}

export function pager({ label, hasPrevious, hasNext, onPrevious, onNext, text }) {
  return el(
    "nav",
    { className: "pager", "aria-label": label },
    el("button", { type: "button", disabled: !hasPrevious, onclick: onPrevious, text: "Previous page" }),
    el("span", { text }),
    el("button", { type: "button", disabled: !hasNext, onclick: onNext, text: "Next page" }),
  );
}
