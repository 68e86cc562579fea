// Views that read reports: Retry Recovery SLO, Executive Recovery Report, Dashboard.

import { call, get, DASHBOARD_PATH, PREFIX } from "./api.js";
import { definitions, el, jsonDetails, minutes, number, onSubmit, pager, percent, table, time, word } from "./ui.js";

const ROWS_PER_PAGE = 25;

export function sloView(state) {
  const form = document.getElementById("slo-form");
  const result = document.getElementById("slo-result");
  let rows = [];
  let page = 0;

  function renderRows(holder) {
    const start = page * ROWS_PER_PAGE;
    const shown = rows.slice(start, start + ROWS_PER_PAGE);
    const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_PAGE));
    holder.replaceChildren(
      table(
        "Recovery rows (breached rows marked)",
        [
          ["Status", (r) => el("span", { className: `badge ${word(r.status, "RECOVERY_ROW_STATUS_")}`, text: word(r.status, "RECOVERY_ROW_STATUS_") })],
          ["Provider", (r) => r.provider],
          ["Playbook", (r) => r.playbook_id],
          ["Category", (r) => word(r.category, "PROVIDER_CATEGORY_")],
          ["Failures", (r) => number(r.failure_count)],
          ["Age", (r) => minutes(r.age_minutes)],
          ["Closure", (r) => word(r.closure_state, "CLOSURE_STATE_")],
          ["Minutes to close", (r) => minutes(r.closure_minutes)],
        ],
        shown,
        (r) => (r.status === "RECOVERY_ROW_STATUS_BREACHED" ? "breached" : undefined),
      ),
      pager({
        label: "Recovery row pages",
        hasPrevious: page > 0,
        hasNext: page + 1 < pages,
        text: `Page ${page + 1} of ${pages} (${rows.length} rows)`,
        onPrevious: () => { page -= 1; renderRows(holder); },
        onNext: () => { page += 1; renderRows(holder); },
      }),
    );
  }

  async function load(formData) {
    const slo = formData.get("recovery_slo_minutes").trim();
    const { report } = await get(`${PREFIX}/retry-recovery-report`, { recovery_slo_minutes: slo });
    state.sloMinutes = report.recovery_slo_minutes;
    for (const id of ["plan-slo", "exec-slo"]) document.getElementById(id).value = String(report.recovery_slo_minutes);
    const totals = report.totals || {};
    rows = report.rows || [];
    page = 0;
    const rowHolder = el("div", { className: "rows" });
    result.replaceChildren(
      el("p", {}, "Level: ", el("span", { className: `badge ${word(report.level, "ALERT_LEVEL_")}`, text: word(report.level, "ALERT_LEVEL_") }),
        ` · report ${report.report_id} · SLO ${report.recovery_slo_minutes} min · ${time(report.generated_at)}`),
      definitions([
        ["Breached", number(totals.breached), "breached"],
        ["Open", number(totals.open), "open"],
        ["Closed", number(totals.closed), "closed"],
        ["Executions", number(totals.executions), "executions"],
        ["Failures", number(totals.failures), "failures"],
        ["Success rate", percent(totals.success_rate), "success_rate"],
        ["MTTR (mean)", minutes(totals.mean_minutes_to_close), "mttr"],
        ["MTTR (p90)", minutes(totals.p90_minutes_to_close), "p90"],
        ["SLO attainment", percent(totals.slo_attainment), "slo_attainment"],
      ]),
      table(
        "Per-provider summary",
        [
          ["Provider", (p) => p.provider],
          ["Category", (p) => word(p.category, "PROVIDER_CATEGORY_")],
          ["Executions", (p) => number(p.executions)],
          ["Failed", (p) => number(p.failed)],
          ["Skipped", (p) => number(p.skipped)],
          ["Open", (p) => number(p.open)],
          ["Breached", (p) => number(p.breached)],
          ["Closed", (p) => number(p.closed)],
          ["MTTR", (p) => minutes(p.mean_minutes_to_close)],
          ["SLO attainment", (p) => percent(p.slo_attainment)],
        ],
        report.provider_summaries || [],
        (p) => (Number(p.breached || 0) > 0 ? "breached" : undefined),
      ),
      report.rows_truncated ? el("p", { className: "hint", text: "Only the first rows are listed; totals cover every row." }) : "",
      rowHolder,
    );
    renderRows(rowHolder);
  }

  onSubmit(form, load, { progress: "Loading the SLO report…" });
  return { show: () => form.requestSubmit() };
}

// The report's HTML in a sandboxed frame (no scripts). The frame inherits the console's CSP, which
// refuses the report's inline styles, so they are lifted out and applied through the CSSOM instead.
async function showReport(frame, html) {
  // Lifted from the text itself: parsing it (DOMParser) would already trip the CSP. The server escapes
  // every quote in text, so ` style="` only ever starts an attribute.
  const sheets = [];
  const inline = [];
  const body = html
    .replace(/<style>([\s\S]*?)<\/style>/g, (_, css) => {
      sheets.push(css);
      return "";
    })
    .replace(/ style="([^"]*)"/g, (_, css) => {
      inline.push(css.replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&amp;", "&"));
      return ` data-console-style="${inline.length - 1}"`;
    });
  const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
  frame.srcdoc = body;
  await loaded;
  const target = frame.contentDocument;
  const sheet = new frame.contentWindow.CSSStyleSheet();
  sheet.replaceSync(sheets.join("\n"));
  target.adoptedStyleSheets = [sheet];
  inline.forEach((text, index) => {
    target.querySelector(`[data-console-style="${index}"]`).style.cssText = text;
  });
}

export function executiveView(state) {
  const form = document.getElementById("exec-form");
  const result = document.getElementById("exec-result");

  async function open(formData) {
    const query = { recovery_slo_minutes: formData.get("recovery_slo_minutes").trim(), generated_by: formData.get("generated_by") };
    const { report } = await get(`${PREFIX}/recovery-executive-report`, query);
    const rendered = `${PREFIX}/recovery-executive-report/rendered`;
    const htmlQuery = { report_id: report.report_id, format: "REPORT_FORMAT_HTML" };
    const markdown = await call("GET", rendered, { query: { report_id: report.report_id, format: "REPORT_FORMAT_MARKDOWN" }, raw: true });
    const frame = el("iframe", { title: `Executive recovery report ${report.report_id}`, sandbox: "allow-same-origin", className: "report-frame" });
    const html = await call("GET", rendered, { query: htmlQuery, raw: true });
    const stored = `${PREFIX}/recovery-executive-reports/${encodeURIComponent(report.report_id)}`;
    state.planId = report.escalation_plan_id || state.planId;
    result.replaceChildren(
      el("p", {}, "Status: ", el("span", { className: `badge ${word(report.status, "ALERT_LEVEL_")}`, text: word(report.status, "ALERT_LEVEL_") }),
        ` · report ${report.report_id} · plan ${report.escalation_plan_id || "—"} · `,
        el("a", { href: stored, target: "_blank", rel: "noopener", text: "stored report (JSON)" })),
      frame,
      el("h3", { text: "Markdown copy" }),
      el("label", { for: "exec-markdown", className: "visually-hidden", text: "Markdown copy of the report" }),
      el("textarea", { id: "exec-markdown", rows: "10", readonly: true, className: "markdown" }, markdown),
      el("button", { type: "button", text: "Copy Markdown", onclick: async (event) => {
        await navigator.clipboard.writeText(markdown).catch(() => document.getElementById("exec-markdown").select());
        event.target.textContent = "Copied";
      } }),
      jsonDetails("Report JSON", report),
    );
    await showReport(frame, html);
  }

  onSubmit(form, open, { progress: "Building the executive report…" });
  return { show: () => {} };
}

export function dashboardView() {
  const form = document.getElementById("dash-form");
  const result = document.getElementById("dash-result");

  async function load() {
    const d = await get(DASHBOARD_PATH);
    result.replaceChildren(
      definitions([
        ["Escalation plans", number(d.escalation_plans), "escalation_plans"],
        ["Escalation routes", number(d.escalation_routes), "escalation_routes"],
        ["Executive reports", number(d.executive_reports), "executive_reports"],
        ["SLO reports", number(d.retry_recovery_reports), "retry_recovery_reports"],
        ["Deliveries delivered", number(d.deliveries_ok), "deliveries_ok"],
        ["Deliveries failed", number(d.deliveries_failed), "deliveries_failed"],
        ["Dead letters", number(d.dead_letters), "dead_letters"],
        ["Acknowledgements", number(d.acknowledgements), "acknowledgements"],
        ["Playbooks", number(d.playbooks), "playbooks"],
        ["Closures", number(d.closures), "closures"],
      ]),
      el("p", { className: "hint", text: `As of ${time(d.generated_at)} · service ${d.service_version || "—"} · contract ${d.contract || "—"}` }),
    );
  }

  onSubmit(form, load, { progress: "Loading counts…" });
  return { show: () => form.requestSubmit() };
}
