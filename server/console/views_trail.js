// The evidence trail of one plan (GetRecoveryEvidenceTrail) as a timeline, each item with its JSON.

import { get, PREFIX } from "./api.js";
import { el, jsonDetails, number, onSubmit, time, word } from "./ui.js";

// "ledger #12 · leaf 11" (or "not sealed yet") for the record's entry in the evidence ledger.
function ledgerNote(trail, kind, id) {
  const entry = (trail.ledger_entries || []).find((item) => item.kind === kind && item.record_id === id);
  if (!entry) return "";
  return ` · ledger #${entry.sequence}${entry.sealed ? ` · leaf ${number(entry.leaf_index)}` : " · not sealed yet"}`;
}

function items(trail) {
  const found = [];
  const add = (kind, at, title, value, className, path, ledger) =>
    found.push({ kind, at: at || "", title: title + (ledger ? ledgerNote(trail, ...ledger) : ""), value, className, path });
  const report = trail.recovery_report;
  if (report) {
    add("SLO report", report.generated_at, `${report.report_id} · ${word(report.level, "ALERT_LEVEL_")} · SLO ${report.recovery_slo_minutes} min`, report, "report", `${PREFIX}/retry-recovery-reports/${encodeURIComponent(report.report_id)}`, ["slo_report", report.report_id]);
  }
  const plan = trail.plan;
  if (plan) {
    add("Plan", plan.generated_at, `${plan.plan_id} · ${word(plan.alert_level, "ALERT_LEVEL_")} · ${number(plan.escalation_count)} routes`, plan, "plan", `${PREFIX}/recovery-escalations/${encodeURIComponent(plan.plan_id)}`, ["escalation_plan", plan.plan_id]);
  }
  for (const delivery of trail.deliveries || []) {
    add("Delivery", delivery.created_at, `${delivery.delivery_id} → ${delivery.receiver} (${delivery.provider}) · ${word(delivery.state, "DELIVERY_STATE_")} · ${number(delivery.attempt_count)} ${Number(delivery.attempt_count) === 1 ? "attempt" : "attempts"}`, delivery, "delivery", `${PREFIX}/recovery-escalation-deliveries/${encodeURIComponent(delivery.delivery_id)}`, ["delivery", delivery.delivery_id]);
    for (const attempt of delivery.attempts || []) {
      const outcome = attempt.success ? "succeeded" : `failed (${word(attempt.failure_reason, "DELIVERY_FAILURE_REASON_")})`;
      add("Delivery attempt", attempt.started_at, `${delivery.delivery_id} attempt ${attempt.attempt_number} ${outcome}${attempt.http_status ? ` · HTTP ${attempt.http_status}` : ""}`, attempt, attempt.success ? "attempt" : "attempt failed", undefined, ["delivery_attempt", `${delivery.delivery_id}/${attempt.attempt_number}`]);
    }
  }
  for (const ack of trail.acknowledgements || []) {
    add("Acknowledgement", ack.acknowledged_at, `${ack.acknowledgement_id} · ${ack.provider} ${word(ack.state, "ACKNOWLEDGEMENT_STATE_")}`, ack, "acknowledgement", undefined, ["acknowledgement", ack.acknowledgement_id]);
  }
  for (const decision of trail.retry_decisions || []) {
    add("Retry decision", decision.next_attempt_at || trail.evaluated_at, `${decision.delivery_id} · ${word(decision.decision, "RETRY_DECISION_")}`, decision, "decision");
  }
  for (const report of trail.executive_reports || []) {
    add("Executive report", report.generated_at, `${report.report_id} · ${word(report.status, "ALERT_LEVEL_")}`, report, "executive", `${PREFIX}/recovery-executive-reports/${encodeURIComponent(report.report_id)}`, ["executive_report", report.report_id]);
  }
  for (const entry of trail.escalation_steps || []) {
    const step = entry.step || {};
    add("Escalation step", step.notified_at, `${entry.provider} · ${entry.policy} · level ${step.level} · ${word(step.outcome, "DELIVERY_STATE_")} · ${step.reason}`, entry, "step", undefined, ["escalation_step", `${trail.plan.plan_id}/${entry.dedup_key}/${step.step}`]);
  }
  return found.sort((a, b) => a.at.localeCompare(b.at));
}

// The stored record behind a trail item, read with the tab's token when first opened.
function storedRecord(path) {
  const body = el("pre", { tabindex: "0", text: "Loading…" });
  const details = el("details", { className: "json stored" }, el("summary", { text: "Stored record (JSON)" }), body);
  details.addEventListener("toggle", async () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "true";
    try {
      body.textContent = JSON.stringify(await get(path), null, 2);
    } catch (error) {
      body.textContent = `Cannot load ${path}: ${error.message}`;
    }
  }, { once: false });
  return details;
}

export function trailView(state) {
  const form = document.getElementById("trail-form");
  const result = document.getElementById("trail-result");

  async function show(formData) {
    const planId = formData.get("plan_id").trim();
    const { trail } = await get(`${PREFIX}/recovery-escalations/${encodeURIComponent(planId)}/evidence-trail`);
    const entries = items(trail || {});
    result.replaceChildren(
      el("p", { className: "hint", text: `Evaluated ${time(trail.evaluated_at)}: ${entries.length} items, oldest first.` }),
      el("ol", { className: "timeline" }, entries.map((entry) =>
        el("li", { className: `trail-item ${entry.className}` },
          el("span", { className: "kind", text: entry.kind }),
          el("time", { text: time(entry.at) }),
          el("span", { className: "title", text: entry.title }),
          jsonDetails("JSON", entry.value),
          entry.path ? storedRecord(entry.path) : ""))),
    );
  }

  onSubmit(form, show, { progress: "Loading the evidence trail…" });
  return {
    show: () => {
      const field = document.getElementById("trail-plan");
      if (!field.value && state.planId) field.value = state.planId;
      if (field.value) form.requestSubmit();
    },
  };
}
