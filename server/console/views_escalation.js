// Views that act: Plan, Deliver (with dead letters and Replay), Acknowledge.

import { ApiError, get, newRequestId, post, PREFIX } from "./api.js";
import { el, jsonDetails, minutes, number, onSubmit, pager, showError, table, time, word } from "./ui.js";

const ROUTES_PER_PAGE = 20;
const UNSETTLED = new Set(["DELIVERY_STATE_PENDING", "DELIVERY_STATE_RETRYING"]);
const FOLLOW_MS = 5 * 60 * 1000;

function integerOrText(value) {
  const text = String(value || "").trim();
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

export function planView(state) {
  const form = document.getElementById("plan-form");
  const result = document.getElementById("plan-result");

  async function showRoutes(holder, planId, pageToken, previous) {
    const answer = await get(`${PREFIX}/recovery-escalations/${encodeURIComponent(planId)}/routes`, {
      page_size: ROUTES_PER_PAGE,
      page_token: pageToken,
    });
    const seen = previous.length * ROUTES_PER_PAGE;
    const count = (answer.routes || []).length;
    holder.replaceChildren(
      table(
        "Escalation routes",
        [
          ["Severity", (r) => el("span", { className: `badge ${word(r.severity, "ALERT_LEVEL_")}`, text: word(r.severity, "ALERT_LEVEL_") })],
          ["Provider", (r) => r.provider],
          ["Category", (r) => word(r.category, "ROUTE_CATEGORY_")],
          ["Status", (r) => word(r.status, "ROUTE_STATUS_")],
          ["Reason", (r) => r.reason || "—"],
          ["Failures", (r) => number(r.failure_count)],
          ["Age", (r) => minutes(r.age_minutes)],
          ["Receivers", (r) => (r.receivers || []).join(", ") || "—"],
        ],
        answer.routes || [],
        (r) => (r.severity === "ALERT_LEVEL_CRITICAL" ? "breached" : undefined),
      ),
      pager({
        label: "Route pages",
        hasPrevious: previous.length > 0,
        hasNext: Boolean(answer.next_page_token),
        text: count ? `Routes ${seen + 1}–${seen + count} of ${number(answer.total_size)}` : "No routes",
        onPrevious: () => guarded(holder, () => showRoutes(holder, planId, previous.at(-1) || "", previous.slice(0, -1))),
        onNext: () => guarded(holder, () => showRoutes(holder, planId, answer.next_page_token, [...previous, pageToken || ""])),
      }),
    );
  }

  async function guarded(holder, action) {
    try {
      await action();
    } catch (error) {
      showError(form.closest("section"), error);
    }
  }

  async function create(formData) {
    const { plan } = await post(`${PREFIX}/recovery-escalation-plan`, {
      recovery_slo_minutes: integerOrText(formData.get("recovery_slo_minutes")),
      generated_by: formData.get("generated_by"),
      request_id: newRequestId(),
      route_limit: 1,
    });
    state.planId = plan.plan_id;
    state.providers = plan.selected_providers || [];
    state.planChanged();
    const routes = el("div", { className: "routes" });
    result.replaceChildren(
      el("p", {}, "Plan ", el("strong", { className: "plan-id", text: plan.plan_id }), " · alert level ",
        el("span", { className: `badge ${word(plan.alert_level, "ALERT_LEVEL_")}`, text: word(plan.alert_level, "ALERT_LEVEL_") }),
        ` · ${number(plan.escalation_count)} routes (${number(plan.critical_escalation_count)} critical) · ${number(plan.slo_breached_count)} breached · ${time(plan.generated_at)}`),
      routes,
      jsonDetails("Plan JSON", plan),
    );
    await showRoutes(routes, plan.plan_id, "", []);
  }

  onSubmit(form, create, { progress: "Creating the plan…" });
  return { show: () => {} };
}

export function deliverView(state) {
  const form = document.getElementById("deliver-form");
  const result = document.getElementById("deliver-result");
  const live = document.getElementById("deliver-live");
  const submit = document.getElementById("deliver-submit");
  const deadLetters = document.getElementById("dead-letters");
  const choices = form.querySelector("#deliver-receivers .choices");
  const hint = document.getElementById("deliver-receivers-hint");
  let receiversLoaded = false;
  // Bumped by each delivery, so only the latest one's retries are followed.
  let generation = 0;

  live.addEventListener("change", () => {
    submit.textContent = live.checked ? "Deliver live" : "Dry run";
    form.classList.toggle("live", live.checked);
  });

  async function loadReceivers() {
    try {
      const answer = await get(`${PREFIX}/escalation-receivers`);
      const receivers = answer.receivers || [];
      choices.replaceChildren(...receivers.map((r, i) =>
        el("div", { className: "choice" },
          el("input", { type: "checkbox", id: `receiver-${i}`, name: "receivers", value: r.name }),
          el("label", { for: `receiver-${i}`, text: `${r.name} (${r.provider}${r.category ? ", category " + word(r.category, "PROVIDER_CATEGORY_") : ""}${r.is_default ? ", default" : ""})` }))));
      hint.textContent = receivers.length
        ? "Choose receivers, or none to follow the routing policy."
        : "No receivers are configured; delivery follows the routing policy.";
      receiversLoaded = true;
    } catch (error) {
      // Without ListEscalationReceivers (or the right to call it), the routing policy chooses.
      hint.textContent = error instanceof ApiError && error.httpStatus === 404
        ? "Receivers follow the routing policy (this server cannot list receivers)."
        : `Receivers follow the routing policy (${error.message}).`;
    }
  }

  async function loadDeadLetters() {
    const box = document.getElementById("dead-letter-error");
    box.textContent = "";
    try {
      const answer = await get(`${PREFIX}/recovery-escalation-deliveries`, { state: "DELIVERY_STATE_DEAD_LETTERED", page_size: 20 });
      const items = answer.deliveries || [];
      deadLetters.replaceChildren(items.length
        ? table("Dead-lettered deliveries", [
          ["Delivery", (d) => d.delivery_id],
          ["Plan", (d) => d.plan_id || d.schedule_run_id || "—"],
          ["Receiver", (d) => d.receiver],
          ["Attempts", (d) => number(d.attempt_count)],
          ["Updated", (d) => time(d.updated_at)],
          ["", (d) => el("button", { type: "button", className: "write", text: "Replay", "aria-label": `Replay delivery ${d.delivery_id}`, disabled: !state.canWrite, onclick: (event) => replay(event.target, d.delivery_id) })],
        ], items)
        : el("p", { text: "No dead letters." }));
    } catch (error) {
      showError(form.closest("section"), error, box);
    }
  }

  async function replay(button, deliveryId) {
    const status = document.getElementById("replay-status");
    button.disabled = true;
    button.textContent = "Replaying…";
    status.textContent = `Replaying ${deliveryId}… (waits for the new round's first attempt)`;
    try {
      const { delivery } = await post(`${PREFIX}/recovery-escalation-deliveries/${encodeURIComponent(deliveryId)}/replay`, { request_id: newRequestId() });
      status.textContent = `Delivery ${deliveryId} replayed: ${word(delivery.state, "DELIVERY_STATE_")} after ${number(delivery.attempt_count)} attempts.`;
      await loadDeadLetters();
    } catch (error) {
      button.disabled = false;
      button.textContent = "Replay";
      status.textContent = "";
      showError(form.closest("section"), error, document.getElementById("dead-letter-error"));
    }
  }

  async function deliver(formData) {
    const dryRun = !live.checked;
    const answer = await post(`${PREFIX}/recovery-escalations/${encodeURIComponent(formData.get("plan_id").trim())}/deliver`, {
      receivers: formData.getAll("receivers"),
      dry_run: dryRun,
      request_id: newRequestId(),
      recovery_slo_minutes: state.sloMinutes || 0,
    });
    if (answer.plan) {
      state.planId = answer.plan.plan_id;
      state.planChanged();
    }
    const results = answer.results || [];
    const outcome = el("p", { className: "delivery-outcome" });
    const holder = el("div");
    const follow = el("p", { className: "progress", id: "deliver-follow", role: "status", "aria-live": "polite" });
    const render = () => {
      const success = results.every((r) => r.success);
      outcome.replaceChildren(el("strong", { text: dryRun ? "Dry run" : "Live delivery" }),
        ` of plan ${answer.plan ? answer.plan.plan_id : "—"}: ${success ? "succeeded" : "did not fully succeed"} · evidence ${answer.delivery_evidence_id || "—"}`);
      holder.replaceChildren(table("Per-receiver results", [
        ["Receiver", (r) => r.receiver],
        ["Provider", (r) => r.provider],
        ["State", (r) => word(r.state, "DELIVERY_STATE_")],
        ["Result", (r) => (r.success ? "ok" : UNSETTLED.has(r.state) ? "retrying" : "failed")],
        ["Attempts", (r) => number(r.attempt_count)],
        ["HTTP status", (r) => (r.http_status ? String(r.http_status) : "—")],
        ["Failure", (r) => word(r.failure_reason, "DELIVERY_FAILURE_REASON_")],
        ["Routes", (r) => number(r.route_count)],
      ], results, (r) => (r.success ? undefined : "breached")));
    };
    render();
    result.replaceChildren(outcome, follow, holder);
    await loadDeadLetters();
    followRetries(results, render, follow, ++generation);
  }

  // The worker goes on retrying after the call answers: poll those deliveries until they settle.
  async function followRetries(results, render, status, mine) {
    let wait = 500;
    const deadline = Date.now() + FOLLOW_MS;
    let open = results.filter((r) => UNSETTLED.has(r.state) && r.delivery_id);
    while (open.length && mine === generation && Date.now() < deadline) {
      status.textContent = `Retrying in the background: ${open.map((r) => `${r.receiver} after ${number(r.attempt_count)} attempts`).join(", ")}…`;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 5000);
      try {
        for (const r of open) {
          const { delivery } = await get(`${PREFIX}/recovery-escalation-deliveries/${encodeURIComponent(r.delivery_id)}`);
          const last = (delivery.attempts || []).at(-1) || {};
          Object.assign(r, { state: delivery.state, attempt_count: delivery.attempt_count, success: delivery.state === "DELIVERY_STATE_DELIVERED", http_status: last.http_status, failure_reason: last.failure_reason });
        }
      } catch (error) {
        status.textContent = `Stopped following the retries: ${error.message}`;
        return;
      }
      render();
      open = open.filter((r) => UNSETTLED.has(r.state));
    }
    if (mine !== generation) return;
    status.textContent = open.length ? "Still retrying; the evidence trail shows every attempt." : "Every delivery has settled.";
    await loadDeadLetters();
  }

  onSubmit(form, deliver, { progress: "Delivering… (waits for every receiver's attempts)" });
  return {
    show: () => {
      if (state.planId) document.getElementById("deliver-plan").value = state.planId;
      if (!receiversLoaded) loadReceivers();
      loadDeadLetters();
    },
  };
}

export function acknowledgeView(state) {
  const form = document.getElementById("ack-form");
  const result = document.getElementById("ack-result");

  async function acknowledge(formData) {
    const planId = formData.get("plan_id").trim();
    const { acknowledgement: a } = await post(`${PREFIX}/recovery-escalations/${encodeURIComponent(planId)}/acknowledgements`, {
      provider: formData.get("provider").trim(),
      state: formData.get("state"),
      acknowledged_by: formData.get("acknowledged_by").trim(),
      note: formData.get("note"),
      request_id: newRequestId(),
    });
    result.replaceChildren(
      el("p", { className: "ack-outcome" }, `Recorded ${a.acknowledgement_id}: ${a.provider} ${word(a.state, "ACKNOWLEDGEMENT_STATE_")} by ${a.acknowledged_by} at ${time(a.acknowledged_at)}.`),
    );
  }

  onSubmit(form, acknowledge, { progress: "Recording the acknowledgement…" });
  return {
    show: () => {
      const plan = document.getElementById("ack-plan");
      if (state.planId && !plan.value) plan.value = state.planId;
      document.getElementById("ack-providers").replaceChildren(...(state.providers || []).map((p) => el("option", { value: p })));
    },
  };
}
