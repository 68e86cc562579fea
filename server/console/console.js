// The Evidence Console: hash routes per view, the tab's token and what its role may do.

import { ApiError, call, DASHBOARD_PATH, get, PREFIX, setToken, token } from "./api.js";
import { acknowledgeView, deliverView, planView } from "./views_escalation.js";
import { policyView } from "./views_policy.js";
import { dashboardView, executiveView, sloView } from "./views_report.js";
import { trailView } from "./views_trail.js";

const DEFAULT_VIEW = "slo";
// A delivery id no delivery has: replaying it changes nothing, and the answer tells whether the token
// may run the mutating RPCs (403: it may not; 401: unknown token; anything else: it may).
const WRITE_PROBE = `${PREFIX}/recovery-escalation-deliveries/console-role-probe/replay`;

const state = {
  planId: "",
  providers: [],
  sloMinutes: 0,
  canRead: true,
  canWrite: true,
  planChanged() {
    for (const id of ["ack-plan", "trail-plan", "deliver-plan", "escalation-plan"]) document.getElementById(id).value = state.planId;
  },
};

const views = {
  slo: sloView(state),
  plan: planView(state),
  deliver: deliverView(state),
  acknowledge: acknowledgeView(state),
  executive: executiveView(state),
  escalations: policyView(state),
  dashboard: dashboardView(state),
  trail: trailView(state),
};

function currentView() {
  const name = location.hash.replace(/^#/, "");
  return Object.hasOwn(views, name) ? name : DEFAULT_VIEW;
}

// `moveFocus`: a view chosen by link or Back moves keyboard and screen-reader focus to its heading.
function route(moveFocus = false) {
  const name = currentView();
  for (const key of Object.keys(views)) {
    document.getElementById(`view-${key}`).hidden = key !== name;
    const link = document.querySelector(`nav.views a[data-view="${key}"]`);
    if (key === name) {
      link.setAttribute("aria-current", "page");
      // On a phone the view links scroll sideways: keep the current one in sight.
      link.scrollIntoView({ block: "nearest", inline: "nearest" });
    } else {
      link.removeAttribute("aria-current");
    }
  }
  document.title = `${document.querySelector(`#view-${name} h2`).textContent} · Evidence Console`;
  if (moveFocus) document.querySelector(`#view-${name} h2`).focus();
  if (state.canRead) views[name].show();
}

// What the token may do, learnt from the answers of two side-effect-free calls (docs/console.md).
async function learnRole() {
  const status = document.getElementById("role-status");
  status.textContent = "Checking what this token may do…";
  let read = true;
  let write = true;
  let note = "";
  try {
    await get(DASHBOARD_PATH);
  } catch (error) {
    if (!(error instanceof ApiError) || ![401, 403].includes(error.httpStatus)) throw error;
    read = false;
    note = error.httpStatus === 401
      ? token() ? "This token is not accepted." : "Authentication is on: enter a bearer token."
      : "This token may not read reports.";
  }
  if (read) {
    try {
      await call("POST", WRITE_PROBE, { body: {} });
    } catch (error) {
      write = !(error instanceof ApiError && [401, 403].includes(error.httpStatus));
    }
  }
  state.canRead = read;
  state.canWrite = read && write;
  document.body.dataset.access = !read ? "none" : write ? "write" : "read";
  for (const control of document.querySelectorAll(".write")) {
    control.disabled = !state.canWrite;
    control.title = state.canWrite ? "" : "This token's role cannot run this action";
  }
  for (const section of document.querySelectorAll("section.view")) {
    section.querySelectorAll("form button, form input, form select, form textarea").forEach((control) => {
      if (!control.classList.contains("write")) control.disabled = !read;
    });
  }
  const access = !state.canWrite
    ? "Read only: write controls are disabled."
    : token() ? "This token may read and act (operator)." : "Open service (no authentication): read and act.";
  status.textContent = note || access;
}

function setUpToken() {
  const form = document.getElementById("token-form");
  const field = document.getElementById("token");
  field.value = token();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setToken(field.value.trim());
    await start();
  });
  document.getElementById("token-clear").addEventListener("click", async () => {
    field.value = "";
    setToken("");
    await start();
  });
}

async function start() {
  try {
    await learnRole();
  } catch (error) {
    document.getElementById("role-status").textContent = `Cannot reach the service: ${error.message}`;
  }
  route();
}

setUpToken();
window.addEventListener("hashchange", () => route(true));
start();
