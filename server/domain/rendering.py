"""Executive reports rendered for people: Markdown (chat, email) and a self-contained HTML page.

The HTML page has no external assets (inline CSS, an inline SVG closure-trend chart) and escapes
every piece of text, so it can be saved, mailed or opened offline. Reports hold only public-safe
content (ids, providers, counts, fixed wording), and rendering adds nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from cavra_recovery.server.domain.closure_trends import ClosureTrendDay
from cavra_recovery.server.domain.evidence import ClosureState
from cavra_recovery.server.domain.executive_report import ExecutiveReport
from cavra_recovery.server.domain.slo_report import ProviderRecoverySummary

# The chart shows at most this many of the newest days, oldest on the left.
CHART_DAYS = 30
_STATE_COLOURS = {
    ClosureState.RESOLVED.value: "#2e7d32",
    ClosureState.MITIGATED.value: "#66bb6a",
    ClosureState.DEFERRED.value: "#f9a825",
    ClosureState.ESCALATED.value: "#ef6c00",
    ClosureState.REOPENED.value: "#c62828",
}
_STATUS_COLOURS = {"healthy": "#2e7d32", "warning": "#f9a825", "critical": "#c62828"}


def _time(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} min"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _markdown_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _signed(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.1f}{unit}"
    return f"{value:+d}{unit}"


def render_markdown(report: ExecutiveReport) -> str:
    totals = report.totals
    lines = [
        "# Connector recovery executive report",
        "",
        f"**Status:** {report.status.value.upper()} — {report.business_impact}",
        "",
        f"Generated {_time(report.generated_at)}"
        + (f" by {_markdown_cell(report.generated_by)}" if report.generated_by else "")
        + f"; recovery SLO {report.recovery_slo_minutes} min.",
        "",
        "## Key risks",
        "",
    ]
    if report.key_risks:
        lines += [
            f"- **{risk.severity.value}** {risk.title}: {risk.count} (owner: {risk.owner})"
            for risk in report.key_risks
        ]
    else:
        lines.append("- none")
    lines += ["", "## Recommended actions", ""]
    lines += [f"{i}. {action}" for i, action in enumerate(report.recommended_actions, start=1)]
    lines += [
        "",
        "## Totals",
        "",
        f"- Executions: {totals.executions} (delivered {totals.successes},"
        f" failed or skipped {totals.failures}; success rate {_share(totals.success_rate)})",
        f"- Recovery rows: {totals.rows} (closed {totals.closed}, open {totals.open},"
        f" breached {totals.breached})",
        f"- Minutes to close: mean {_minutes(totals.mean_minutes_to_close)},"
        f" p90 {_minutes(totals.p90_minutes_to_close)}; SLO attainment {_share(totals.slo_attainment)}",
        f"- Escalations: {report.escalation_count}",
    ]
    if report.change is not None:
        change = report.change
        attainment = None if change.slo_attainment_delta is None else change.slo_attainment_delta * 100
        lines += [
            "",
            "## Change since the previous report",
            "",
            f"- Previous: `{change.previous_report_id}` ({change.previous_status.value})",
            f"- Breached {_signed(change.breached_delta)}, open {_signed(change.open_delta)},"
            f" failures {_signed(change.failures_delta)}, escalations {_signed(change.escalations_delta)}",
            f"- Mean minutes to close {_signed(change.mean_minutes_to_close_delta)},"
            f" SLO attainment {_signed(attainment, ' pts')}",
        ]
    if report.provider_summaries:
        lines += [
            "",
            "## Providers",
            "",
            "| Provider | Category | Executions | Failed | Skipped | Rows | Open | Breached | Closed"
            " | Mean to close | p90 to close | SLO attainment |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [_markdown_provider(s) for s in report.provider_summaries]
    if report.closure_trends:
        lines += [
            "",
            "## Closure trends (UTC days, newest first)",
            "",
            "| Day | Total | By state |",
            "| --- | ---: | --- |",
        ]
        for day in report.closure_trends[:CHART_DAYS]:
            states = ", ".join(f"{state} {count}" for state, count in day.state_counts)
            lines.append(f"| {day.day} | {day.total} | {states} |")
    lines += [
        "",
        f"Report `{report.report_id}` · SLO report `{report.recovery_report_id}`"
        f" · plan `{report.escalation_plan_id}`",
        "",
    ]
    return "\n".join(lines)


def _markdown_provider(s: ProviderRecoverySummary) -> str:
    cells = (
        s.provider,
        s.category,
        s.executions,
        s.failed,
        s.skipped,
        s.playbook_rows,
        s.open,
        s.breached,
        s.closed,
        _minutes(s.mean_minutes_to_close),
        _minutes(s.p90_minutes_to_close),
        _share(s.slo_attainment),
    )
    return "| " + " | ".join(_markdown_cell(c) for c in cells) + " |"


def closure_trend_svg(trends: Sequence[ClosureTrendDay], *, width: int = 720, height: int = 240) -> str:
    """Stacked bars of closures per UTC day (by state), oldest day on the left; inline, no assets."""
    days = list(reversed(trends[:CHART_DAYS]))
    left, right, top, bottom = 40, 10, 10, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="closure-trend-chart"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        "<title>Recovery closures per UTC day, by state</title>",
        f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}" y2="{top + plot_height}"'
        ' stroke="#555" stroke-width="1"/>',
    ]
    if not days:
        parts.append(
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="#555">'
            "No closures recorded</text>"
        )
        parts.append("</svg>")
        return "".join(parts)
    peak = max(day.total for day in days) or 1
    slot = plot_width / len(days)
    bar_width = max(2.0, slot * 0.7)
    parts.append(
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11" fill="#555">{peak}</text>'
    )
    parts.append(
        f'<text x="{left - 6}" y="{top + plot_height}" text-anchor="end" font-size="11" fill="#555">0</text>'
    )
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar_width) / 2
        y: float = top + plot_height
        for state, count in day.state_counts:
            bar_height = plot_height * count / peak
            y -= bar_height
            parts.append(
                f'<rect class="bar" data-day="{escape(day.day)}" data-state="{escape(state)}"'
                f' x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{bar_height:.1f}"'
                f' fill="{_STATE_COLOURS.get(state, "#888")}">'
                f"<title>{escape(day.day)}: {count} {escape(state)}</title></rect>"
            )
        if index == 0 or index == len(days) - 1 or len(days) <= 10:
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{top + plot_height + 16}" text-anchor="middle"'
                f' font-size="10" fill="#555">{escape(day.day[5:])}</text>'
            )
    legend_x = left
    for state, colour in _STATE_COLOURS.items():
        parts.append(f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{height - 5}" font-size="10" fill="#333">{state}</text>')
        legend_x += 90
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:960px;
color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;color:#fff;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem}
th{text-align:left}td.n{text-align:right}code{font-size:.85rem}
footer{margin-top:2rem;color:#666;font-size:.85rem}
"""


def render_html(report: ExecutiveReport) -> str:
    totals = report.totals
    status = report.status.value
    risks = (
        "".join(
            f"<li><strong>{escape(r.severity.value)}</strong> {escape(r.title)}: {r.count}"
            f" (owner: {escape(r.owner)})</li>"
            for r in report.key_risks
        )
        or "<li>none</li>"
    )
    actions = "".join(f"<li>{escape(action)}</li>" for action in report.recommended_actions)
    providers = "".join(
        "<tr>"
        + f"<td>{escape(s.provider)}</td><td>{escape(s.category)}</td>"
        + "".join(
            f'<td class="n">{escape(str(v))}</td>'
            for v in (
                s.executions,
                s.failed,
                s.skipped,
                s.playbook_rows,
                s.open,
                s.breached,
                s.closed,
                _minutes(s.mean_minutes_to_close),
                _minutes(s.p90_minutes_to_close),
                _share(s.slo_attainment),
            )
        )
        + "</tr>"
        for s in report.provider_summaries
    )
    change = ""
    if report.change is not None:
        c = report.change
        attainment = None if c.slo_attainment_delta is None else c.slo_attainment_delta * 100
        change = (
            "<h2>Change since the previous report</h2><p>"
            f"Previous <code>{escape(c.previous_report_id)}</code> ({escape(c.previous_status.value)}):"
            f" breached {_signed(c.breached_delta)}, open {_signed(c.open_delta)},"
            f" failures {_signed(c.failures_delta)}, escalations {_signed(c.escalations_delta)},"
            f" mean minutes to close {_signed(c.mean_minutes_to_close_delta)},"
            f" SLO attainment {escape(_signed(attainment, ' pts'))}.</p>"
        )
    generated_by = f" by {escape(report.generated_by)}" if report.generated_by else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Connector recovery executive report</title>"
        f"<style>{_STYLE}</style></head><body>"
        "<h1>Connector recovery executive report</h1>"
        f'<p><span class="status" style="background:{_STATUS_COLOURS.get(status, "#555")}">'
        f"{escape(status.upper())}</span> {escape(report.business_impact)}</p>"
        f"<p>Generated {escape(_time(report.generated_at))}{generated_by};"
        f" recovery SLO {report.recovery_slo_minutes} min.</p>"
        f"<h2>Key risks</h2><ul>{risks}</ul>"
        f"<h2>Recommended actions</h2><ol>{actions}</ol>"
        "<h2>Totals</h2><ul>"
        f"<li>Executions: {totals.executions} (delivered {totals.successes}, failed or skipped"
        f" {totals.failures}; success rate {_share(totals.success_rate)})</li>"
        f"<li>Recovery rows: {totals.rows} (closed {totals.closed}, open {totals.open},"
        f" breached {totals.breached})</li>"
        f"<li>Minutes to close: mean {_minutes(totals.mean_minutes_to_close)},"
        f" p90 {_minutes(totals.p90_minutes_to_close)}; SLO attainment {_share(totals.slo_attainment)}</li>"
        f"<li>Escalations: {report.escalation_count}</li></ul>"
        f"{change}"
        f"<h2>Closure trend</h2>{closure_trend_svg(report.closure_trends)}"
        "<h2>Providers</h2><table><thead><tr><th>Provider</th><th>Category</th><th>Executions</th>"
        "<th>Failed</th><th>Skipped</th><th>Rows</th><th>Open</th><th>Breached</th><th>Closed</th>"
        "<th>Mean to close</th><th>p90 to close</th><th>SLO attainment</th></tr></thead>"
        f"<tbody>{providers}</tbody></table>"
        f"<footer>Report <code>{escape(report.report_id)}</code> · SLO report"
        f" <code>{escape(report.recovery_report_id)}</code> · plan"
        f" <code>{escape(report.escalation_plan_id)}</code></footer>"
        "</body></html>\n"
    )
