// Escalation policies (GetRecoveryEscalationState) per route of a plan, and the silences
// (Create/List/ExpireRecoveryEscalationSilence): what the scheduler will do next, and what holds it back.

import { get, newRequestId, post, PREFIX } from "./api.js";
import { el, onSubmit, pager, showError, table, time, word } from "./ui.js";

const SILENCES_PATH = `${PREFIX}/recovery-escalation-silences`;
const PAGE_SIZE = 20;

function flags(route) {
  const held = [];
  if (route.acknowledged) held.push("acknowledged");
  if (route.resolved) held.push("resolved");
  if (route.silenced) held.push(`silenced by ${route.silence_id}`);
  if (route.inhibited) held.push(`inhibited by ${route.inhibited_by}`);
  return held.length ? held.join(", ") : "—";
}

function steps(route) {
  if (!route.steps || !route.steps.length) return "—";
  return el("ol", { className: "steps" }, route.steps.map((step) =>
    el("li", {}, `${time(step.notified_at)} · level ${step.level}${step.cycle ? ` (repeat ${step.cycle})` : ""} · `,
      `${word(step.outcome, "DELIVERY_STATE_")} · ${step.reason}`)));
}

// A datetime-local value ("2026-12-03T18:30") in the browser's zone, as the RFC 3339 instant the API takes.
function instant(value) {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}

export function policyView(state) {
  const stateForm = document.getElementById("escalation-form");
  const stateResult = document.getElementById("escalation-result");
  const silenceForm = document.getElementById("silence-form");
  const silences = document.getElementById("silences");
  const silenceError = document.getElementById("silence-list-error");
  const tokens = [""];
  let page = 0;

  async function showState(formData) {
    const planId = formData.get("plan_id").trim();
    const response = await get(`${PREFIX}/recovery-escalations/${encodeURIComponent(planId)}/escalation-state`);
    const routes = response.routes || [];
    stateResult.replaceChildren(
      routes.length
        ? table(`Escalation state of ${planId}`, [
          ["Provider", (route) => route.provider],
          ["Severity", (route) => word(route.severity, "ALERT_LEVEL_")],
          ["Policy", (route) => route.policy || "—"],
          ["Status", (route) => route.status || "—"],
          ["Level", (route) => (route.current_level ? String(route.current_level) : "—")],
          ["Next step", (route) => time(route.next_step_at)],
          ["Held back", flags],
          ["Steps and reasons", steps],
        ], routes)
        : el("p", { text: "This plan has no routes." }),
    );
  }

  async function listSilences() {
    try {
      const response = await get(SILENCES_PATH, { page_size: PAGE_SIZE, page_token: tokens[page] });
      tokens[page + 1] = response.next_page_token || "";
      const items = response.silences || [];
      silences.replaceChildren(
        items.length
          ? table("Silences, newest first (expired ones stay as evidence)", [
            ["Silence", (item) => item.silence_id],
            ["Matches", (item) => [item.provider && `provider ${item.provider}`, item.category && `category ${item.category}`,
              item.severity && `severity ${item.severity}`].filter(Boolean).join(", ")],
            ["From", (item) => time(item.starts_at)],
            ["Until", (item) => time(item.expired_at || item.ends_at)],
            ["By", (item) => item.created_by || "—"],
            ["Active", (item) => (item.active ? "yes" : "no")],
            ["", (item) => (item.active ? expireButton(item.silence_id) : "")],
          ], items, (item) => (item.active ? "silenced" : ""))
          : el("p", { text: "No silences." }),
        pager({
          label: "Silence pages",
          hasPrevious: page > 0,
          hasNext: Boolean(tokens[page + 1]),
          onPrevious: () => { page -= 1; listSilences(); },
          onNext: () => { page += 1; listSilences(); },
          text: `Page ${page + 1} · ${response.total_size || 0} silences`,
        }),
      );
    } catch (error) {
      showError(silences.closest("section"), error, silenceError);
    }
  }

  function expireButton(silenceId) {
    const button = el("button", { type: "button", className: "write", text: "Expire", "aria-label": `Expire ${silenceId}` });
    button.disabled = !state.canWrite;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await post(`${SILENCES_PATH}/${encodeURIComponent(silenceId)}/expire`, { request_id: newRequestId() });
        await listSilences();
      } catch (error) {
        button.disabled = false;
        showError(silences.closest("section"), error, silenceError);
      }
    });
    return button;
  }

  // One request_id per filled-in form: a second click on the same silence cannot create two.
  let pendingRequestId = newRequestId();
  silenceForm.addEventListener("input", () => { pendingRequestId = newRequestId(); });

  async function createSilence(formData) {
    const body = { request_id: pendingRequestId };
    for (const name of ["provider", "category", "severity", "comment"]) {
      const value = String(formData.get(name) || "").trim();
      if (value) body[name] = value;
    }
    const endsAt = instant(String(formData.get("ends_at") || ""));
    if (endsAt) body.ends_at = endsAt;
    await post(SILENCES_PATH, body);
    pendingRequestId = newRequestId();
    page = 0;
    await listSilences();
  }

  onSubmit(stateForm, showState, { progress: "Loading the escalation state…" });
  onSubmit(silenceForm, createSilence, { progress: "Creating the silence…" });
  return {
    show: () => {
      const field = document.getElementById("escalation-plan");
      if (!field.value && state.planId) field.value = state.planId;
      if (field.value) stateForm.requestSubmit();
      listSilences();
    },
  };
}
