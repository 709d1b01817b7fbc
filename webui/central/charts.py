"""Charts drawn on the server as SVG (no chart library, nothing from a CDN): one bar per label,
its height the on-time rate, so a leader's page works offline and prints as it shows."""
from __future__ import annotations

from markupsafe import Markup, escape

BAR, GAP, HEIGHT, TOP, BOTTOM, LEFT = 34, 14, 160, 18, 34, 38


def rate_bars(items: list[tuple[str, float | None]], title: str, *, chart_id: str) -> Markup:
    """A bar chart of rates in 0..1 (None: nothing finished, drawn as an empty slot with "—")."""
    width = LEFT + max(1, len(items)) * (BAR + GAP) + GAP
    total = TOP + HEIGHT + BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
           f'width="{width}" height="{total}" viewBox="0 0 {width} {total}" role="img" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for pct in (0, 50, 100):
        y = TOP + HEIGHT - HEIGHT * pct / 100
        out.append(f'<line x1="{LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
                   f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{pct}%</text>')
    for i, (label, rate) in enumerate(items):
        x = LEFT + GAP + i * (BAR + GAP)
        mid = x + BAR / 2
        if rate is not None:
            h = HEIGHT * max(0.0, min(1.0, rate))
            colour = "#1a7f37" if rate >= 0.9 else "#b35900" if rate >= 0.7 else "#b3261e"
            out.append(f'<rect class="bar" x="{x}" y="{TOP + HEIGHT - h:.1f}" width="{BAR}" '
                       f'height="{h:.1f}" fill="{colour}" data-label="{escape(label)}" '
                       f'data-rate="{rate:.4f}"><title>{escape(label)}: {rate * 100:.1f}%</title></rect>')
            text = f"{rate * 100:.0f}%"
        else:
            text = "—"
        out.append(f'<text x="{mid:.1f}" y="{TOP - 4 + (HEIGHT - HEIGHT * (rate or 0)):.1f}" '
                   f'text-anchor="middle" font-size="11">{text}</text>'
                   f'<text x="{mid:.1f}" y="{TOP + HEIGHT + 16}" text-anchor="middle" '
                   f'font-size="11">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
