#!/usr/bin/python3
# AISys Labs: performance report generator.
#
# Reads one or more results files in the "aisys.results/1" schema (documented in reports/README.md)
# and writes a report folder:
#   index.html    self-contained page (inline CSS, no scripts): each file's context (machine,
#                 compiler, baselines, ceilings), plots of rate against size with the baseline and
#                 the roofline, a table of every timed record and a table of every metric record
#   plots/*.png, plots/*.svg   one plot per (results file, lab, group, threads)
#   summary.md    the same tables in Markdown
#   results.json  every input record merged into one file, for archiving
#
# Usage: make_report.py --out DIR [--title TITLE] results.json [results.json ...]
#
# The report is built in a temporary folder beside DIR and moved into place at the end, so DIR is
# either the complete new report or left as it was. Exit codes: 0 report written; 2 a results file
# is unreadable or invalid, or DIR cannot be replaced (one line on stderr says which and why);
# 1 any other failure (for example matplotlib cannot be imported).
#
# Run it with an interpreter that can import matplotlib (the build records one as AISYS_PYTHON;
# on Debian, /usr/bin/python3 with python3-matplotlib). Only the standard library and matplotlib
# are used. handout_table.py imports the loading and formatting helpers from this file.

import argparse
import datetime
import hashlib
import html
import json
import math
import os
import re
import shutil
import sys
import tempfile

SCHEMA = "aisys.results/1"
PROG = "make_report.py"
MARKER = ".aisys-report"  # written into every report folder; only such folders are ever replaced

# Column header text for the ratio, shared by the HTML, the Markdown and the handout tables.
RATIO_HEADER = "ratio to baseline ± IQR/2"
RATIO_NOTE = ("ratio to baseline = baseline time / candidate time, or for a metric record the "
              "ratio of the two metric values oriented so that higher is better (median of "
              "interleaved pairs); ± is half the interquartile range of the per-pair ratios, "
              "i.e. ratio × spread / 2")


class InputError(Exception):
    """An input file or the output folder is unusable; the message is one line for stderr."""


# --------------------------------------------------------------------------------------------------
# Loading and validation


def load_results(path):
    """Read and validate one results file; return its parsed object or raise InputError."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError("%s: cannot read: %s" % (path, e.strerror or e))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("%s: not UTF-8 text (byte %d)" % (path, e.start))
    try:
        data = json.loads(text)
    except ValueError as e:
        msg = getattr(e, "msg", str(e))
        where = ""
        if hasattr(e, "lineno"):
            where = " at line %d column %d" % (e.lineno, e.colno)
        raise InputError("%s: not valid JSON: %s%s" % (path, msg, where))
    if not isinstance(data, dict):
        raise InputError("%s: top level is a JSON %s, expected an object with \"schema\", "
                         "\"context\" and \"records\"" % (path, _json_type(data)))
    schema = data.get("schema")
    if schema != SCHEMA:
        raise InputError("%s: schema is %s, expected \"%s\"" % (
            path, "missing" if "schema" not in data else json.dumps(schema), SCHEMA))
    if "records" not in data:
        raise InputError("%s: no \"records\" list" % path)
    records = data["records"]
    if not isinstance(records, list):
        raise InputError("%s: \"records\" is a JSON %s, expected a list" % (path, _json_type(records)))
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise InputError("%s: records[%d] is a JSON %s, expected an object" % (
                path, i, _json_type(r)))
    ctx = data.get("context")
    if ctx is not None and not isinstance(ctx, dict):
        raise InputError("%s: \"context\" is a JSON %s, expected an object" % (path, _json_type(ctx)))
    return data


def _json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


# --------------------------------------------------------------------------------------------------
# Robust field access: any field may be missing or of the wrong type in older files


def num(v):
    """v as a finite float, or None."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def obj(v):
    return v if isinstance(v, dict) else {}


def text(v):
    """A short display string for a scalar; '' for missing."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return fmt_num(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)
    return str(v)


def rate_of(d):
    """(value, unit) of a {"rate": {"value", "unit"}} holder; value None when absent."""
    r = obj(obj(d).get("rate"))
    return num(r.get("value")), text(r.get("unit"))


def record_context(data):
    return obj(data.get("context"))


def record_lab(rec, ctx):
    lab = rec.get("lab")
    if lab is None:
        lab = ctx.get("lab")
    return text(lab)


def same_lab(a, b):
    a, b = text(a).strip(), text(b).strip()
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def threads_of(rec):
    t = num(rec.get("threads"))
    if t is None:
        return text(rec.get("threads"))
    return int(t) if t == int(t) else t


def is_metric(rec):
    return isinstance(rec.get("metric"), dict)


def is_timed(rec):
    return not is_metric(rec) or num(rec.get("time_s")) is not None or rate_of(rec)[0] is not None


# --------------------------------------------------------------------------------------------------
# Number formatting


def fmt_num(v, digits=4):
    """Up to `digits` significant digits, no exponent for ordinary magnitudes."""
    v = num(v)
    if v is None:
        return ""
    if v == 0:
        return "0"
    mag = math.floor(math.log10(abs(v)))
    if mag >= 7 or mag <= -5:
        return "%.*e" % (digits - 1, v)
    decimals = max(0, digits - 1 - mag)
    s = "%.*f" % (decimals, v)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def fmt_time(t):
    t = num(t)
    if t is None:
        return ""
    a = abs(t)
    if a >= 1 or a == 0:
        return "%s s" % fmt_num(t)
    if a >= 1e-3:
        return "%s ms" % fmt_num(t * 1e3)
    if a >= 1e-6:
        return "%s µs" % fmt_num(t * 1e6)
    return "%s ns" % fmt_num(t * 1e9)


def fmt_fixed(v, decimals):
    v = num(v)
    return "" if v is None else "%.*f" % (decimals, v)


def fmt_ratio(rec):
    """'0.93 ± 0.02' (± = ratio x spread / 2), '0.93' without a spread, '' without a ratio.

    Two decimals, or two significant digits for ratios below 0.1; up to two more decimals when the
    ± would otherwise round to zero.
    """
    r = num(rec.get("ratio_to_baseline"))
    if r is None:
        return ""
    s = num(rec.get("spread"))
    if 0 < abs(r) < 1e-3:
        return "%.2e" % r + ("" if s is None else " ± %.1e" % abs(r * s / 2))
    d = 2
    if 0 < abs(r) < 0.1:
        d = 1 - math.floor(math.log10(abs(r)))
    if s is None:
        return "%.*f" % (d, r)
    half = abs(r * s / 2)
    limit = d + 2
    while half > 0 and round(half, d) == 0 and d < limit:
        d += 1
    return "%.*f ± %.*f" % (d, r, d, half)


def fmt_fraction(v):
    v = num(v)
    return "" if v is None else "%.2f" % v


def fmt_rate(value, unit, with_unit=False):
    if value is None:
        return ""
    s = fmt_num(value)
    return ("%s %s" % (s, unit)).strip() if with_unit else s


# --------------------------------------------------------------------------------------------------
# Sorting: keep the benchmark's own order of labs, groups and parts, then threads and size


def sort_records(records, ctx):
    first = {}

    def rank(kind, value):
        return first.setdefault((kind, value), len(first))

    for rec in records:
        rank("lab", record_lab(rec, ctx))
        rank("group", text(rec.get("group")))
        rank("part", text(rec.get("part")))

    def key(rec):
        t = num(rec.get("threads"))
        x = num(rec.get("x"))
        return (first[("lab", record_lab(rec, ctx))], first[("group", text(rec.get("group")))],
                first[("part", text(rec.get("part")))], text(rec.get("impl")),
                t if t is not None else math.inf, x if x is not None else math.inf,
                text(rec.get("case")))

    return sorted(records, key=key)


# --------------------------------------------------------------------------------------------------
# Context: what machine, build and ceilings a results file comes from


def ceiling_unit(name, c):
    unit = text(c.get("unit"))
    if unit:
        return unit
    n = name.lower()
    if "gflops" in n:
        return "GFLOP/s"
    if "tflops" in n:
        return "TFLOP/s"
    if "gbs" in n or "bandwidth" in n:
        return "GB/s"
    if "latency" in n and n.endswith("_us"):
        return "µs"
    return ""


def ceiling_origin(c):
    """'measured', 'datasheet' or 'not stated', from an explicit field or the "how" text."""
    for k in ("source", "origin", "kind"):
        v = text(c.get(k)).lower()
        if v.startswith("measured"):
            return "measured"
        if v.startswith("datasheet"):
            return "datasheet"
    if c.get("measured") is True:
        return "measured"
    if c.get("measured") is False:
        return "datasheet"
    how = text(c.get("how")).strip().lower()
    if how.startswith("measured"):
        return "measured"
    if how.startswith("datasheet"):
        return "datasheet"
    return "not stated"


def context_rows(ctx):
    """[(label, value string)] describing one results file's context, known fields first."""
    rows = []

    def add(label, value):
        v = text(value)
        if v != "":
            rows.append((label, v))

    cpu = obj(ctx.get("cpu"))
    add("CPU", cpu.get("model"))
    add("logical cores", cpu.get("logical_cores"))
    flags = cpu.get("flags")
    if isinstance(flags, list) and flags:
        add("CPU flags", " ".join(text(f) for f in flags))
    for k in sorted(cpu):
        if k not in ("model", "logical_cores", "flags"):
            add("CPU " + k, cpu[k])
    gpu = ctx.get("gpu")
    if isinstance(gpu, dict) and gpu:
        parts = [text(gpu.get("name")) or "unnamed GPU"]
        for k in sorted(gpu):
            if k != "name":
                parts.append("%s %s" % (k, text(gpu[k])))
        add("GPU", ", ".join(parts))
    else:
        add("GPU", "none" if "gpu" in ctx else "")
    add("host", ctx.get("host"))
    add("compiler", ctx.get("compiler"))
    add("build type", ctx.get("build_type"))
    add("commit", ctx.get("commit"))
    add("date", ctx.get("date"))
    add("lab", ctx.get("lab"))
    add("lab version", ctx.get("lab_version"))
    add("include hash", ctx.get("include_hash"))
    add("command", ctx.get("command"))
    for name, b in sorted(obj(ctx.get("baselines")).items()):
        b = obj(b)
        desc = []
        if text(b.get("version")):
            desc.append("version " + text(b.get("version")))
        if text(b.get("corename")):
            desc.append("core " + text(b.get("corename")))
        if b.get("threads") is not None:
            desc.append("threads " + text(b.get("threads")))
        env = b.get("env")
        if isinstance(env, dict) and env:
            desc.append("env " + ", ".join(
                "%s=%s" % (k, "(unset)" if v is None else text(v)) for k, v in sorted(env.items())))
        for k in sorted(b):
            if k not in ("version", "corename", "threads", "env"):
                desc.append("%s %s" % (k, text(b[k])))
        add("baseline " + name, "; ".join(desc) or "(no details)")
    known = {"cpu", "gpu", "host", "compiler", "build_type", "commit", "date", "lab", "lab_version",
             "include_hash", "command", "baselines", "ceilings"}
    for k in sorted(ctx):
        if k not in known:
            add(k, ctx[k])
    return rows


def ceiling_rows(ctx):
    """[(name, value with unit, detail, origin, how)] for every ceiling in the context."""
    rows = []
    for name, c in sorted(obj(ctx.get("ceilings")).items()):
        if not isinstance(c, dict):
            c = {"value": c}
        detail = []
        for k in sorted(c):
            if k not in ("value", "unit", "how", "source", "origin", "kind", "measured"):
                detail.append("%s %s" % (k, text(c[k])))
        value = num(c.get("value"))
        rows.append((name, fmt_rate(value, ceiling_unit(name, c), with_unit=True) if value is not None
                     else text(c.get("value")), ", ".join(detail), ceiling_origin(c),
                     text(c.get("how"))))
    return rows


def machine_line(ctx):
    """One line naming the machine: CPU model (and GPU), OpenBLAS version and core, commit, date."""
    cpu = obj(ctx.get("cpu"))
    bits = [text(cpu.get("model")) or "unknown CPU"]
    gpu = ctx.get("gpu")
    if isinstance(gpu, dict) and text(gpu.get("name")):
        bits[0] += " + " + text(gpu.get("name"))
    ob = obj(obj(ctx.get("baselines")).get("openblas"))
    if ob:
        desc = "OpenBLAS"
        if text(ob.get("version")):
            desc += " " + text(ob.get("version"))
        if text(ob.get("corename")):
            desc += ", core " + text(ob.get("corename"))
        bits.append(desc)
    if text(ctx.get("commit")):
        bits.append("commit " + text(ctx.get("commit")))
    if text(ctx.get("date")):
        bits.append(text(ctx.get("date")))
    return "; ".join(bits)


# --------------------------------------------------------------------------------------------------
# Tables (shared by HTML and Markdown)

TIMED_HEADERS = ["case", "part", "impl", "threads", "time", "rate", "baseline", "baseline rate",
                 RATIO_HEADER, "fraction of roofline", "bound"]
METRIC_HEADERS = ["case", "part", "impl", "threads", "metric", "value", "unit", "better",
                  "baseline", "baseline value", RATIO_HEADER]


def timed_row(rec):
    value, unit = rate_of(rec)
    base = obj(rec.get("baseline"))
    bvalue, bunit = rate_of(base)
    return [text(rec.get("case")), text(rec.get("part")), text(rec.get("impl")),
            text(threads_of(rec)), fmt_time(rec.get("time_s")), fmt_rate(value, unit, True),
            text(base.get("name")), fmt_rate(bvalue, bunit, True), fmt_ratio(rec),
            fmt_fraction(rec.get("fraction_of_roofline")),
            text(obj(rec.get("roofline")).get("bound"))]


def metric_row(rec):
    m = obj(rec.get("metric"))
    base = obj(rec.get("baseline"))
    bval = base.get("metric_value")
    if bval is None:
        bval = base.get("value")
    return [text(rec.get("case")), text(rec.get("part")), text(rec.get("impl")),
            text(threads_of(rec)), text(m.get("name")),
            fmt_num(m.get("value")) if num(m.get("value")) is not None else text(m.get("value")),
            text(m.get("unit")), text(m.get("better")), text(base.get("name")),
            fmt_num(bval) if num(bval) is not None else text(bval), fmt_ratio(rec)]


def md_cell(s):
    return (text(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def md_table(headers, rows):
    out = ["| " + " | ".join(md_cell(h) for h in headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(md_cell(c) for c in row) + " |")
    return "\n".join(out)


def html_table(headers, rows, numeric_from=3):
    e = html.escape
    out = ["<table>", "<thead><tr>" + "".join("<th>%s</th>" % e(h) for h in headers) + "</tr></thead>",
           "<tbody>"]
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            cls = ' class="num"' if i >= numeric_from and _looks_numeric(c) else ""
            cells.append("<td%s>%s</td>" % (cls, e(text(c))))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _looks_numeric(s):
    return bool(re.match(r"^[-+]?[0-9.]", text(s)))


# --------------------------------------------------------------------------------------------------
# Plots


def plot_groups(records, ctx):
    """{(lab, group, threads, unit): [records]} for records that have a rate and a size x."""
    groups = {}
    for rec in records:
        value, unit = rate_of(rec)
        if value is None or num(rec.get("x")) is None or value <= 0 or num(rec.get("x")) <= 0:
            continue
        key = (record_lab(rec, ctx), text(rec.get("group")) or "(no group)", threads_of(rec), unit)
        groups.setdefault(key, []).append(rec)
    return groups


def _median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def slug(s):
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-.")
    return s or "plot"


def make_plot(plt, key, recs, ctx, plot_dir, stem):
    """Draw one plot; write stem.png and stem.svg under plot_dir; return the two file names."""
    lab, group, threads, unit = key
    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    lines = {}
    for rec in recs:
        label = text(rec.get("part")) or "(no part)"
        impl = text(rec.get("impl"))
        if impl:
            label += " (%s)" % impl
        lines.setdefault(label, []).append((num(rec.get("x")), rate_of(rec)[0]))
    markers = "osD^v<>ph*"
    for i, (label, pts) in enumerate(lines.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=markers[i % len(markers)],
                linewidth=1.6, markersize=5, label=label)

    def per_x(getter):
        by_x = {}
        for rec in recs:
            v = getter(rec)
            if v is not None and v > 0:
                by_x.setdefault(num(rec.get("x")), []).append(v)
        return sorted((x, _median(vs)) for x, vs in by_x.items())

    base = per_x(lambda r: rate_of(obj(r.get("baseline")))[0])
    if base:
        names = sorted({text(obj(r.get("baseline")).get("name")) for r in recs} - {""})
        ax.plot([p[0] for p in base], [p[1] for p in base], "k--", linewidth=1.6,
                label="baseline" + (": " + ", ".join(names) if names else "") +
                (" (median per size)" if len(lines) > 1 else ""))
    roof = per_x(lambda r: rate_of(obj(r.get("roofline")))[0])
    if roof:
        ax.plot([p[0] for p in roof], [p[1] for p in roof], "r:", linewidth=2.0,
                label="roofline")

    ax.set_xscale("log", base=2)
    xs = sorted({num(r.get("x")) for r in recs})
    if len(xs) <= 16:
        ax.set_xticks(xs)
        ax.set_xticklabels([fmt_num(x) for x in xs])
        ax.minorticks_off()
    x_labels = sorted({text(r.get("x_label")) for r in recs} - {""})
    ax.set_xlabel((" / ".join(x_labels) if x_labels else "size") + " (log2 scale)")
    ax.set_ylabel("rate (%s)" % (unit or "unit not recorded"))
    ax.set_ylim(bottom=0)
    cpu = text(obj(ctx.get("cpu")).get("model")) or "unknown CPU"
    gpu = obj(ctx.get("gpu"))
    machine = cpu + (" + " + text(gpu.get("name")) if text(gpu.get("name")) else "")
    ax.set_title("Lab %s, %s, %s thread%s\n%s" % (
        lab or "?", group, text(threads) or "?", "" if threads == 1 else "s", machine), fontsize=11)
    ax.grid(True, which="major", alpha=0.35)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    png, svg = stem + ".png", stem + ".svg"
    fig.savefig(os.path.join(plot_dir, png), dpi=110, metadata={"Software": None})
    fig.savefig(os.path.join(plot_dir, svg), metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return png, svg


# --------------------------------------------------------------------------------------------------
# The report

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
table.context td:first-child { font-weight: 600; white-space: nowrap; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
.note { font-size: 0.9em; color: #555; } code { background: #f4f4f4; padding: 0 0.2em; }
.origin-measured { color: #176317; font-weight: 600; }
.origin-datasheet { color: #8a5a00; font-weight: 600; }
"""


def build_report(sources, out_tmp, title):
    """Write the whole report into out_tmp. sources: [(path, data)]."""
    import matplotlib
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "aisys-report"
    import matplotlib.pyplot as plt

    e = html.escape
    plot_dir = os.path.join(out_tmp, "plots")
    os.makedirs(plot_dir)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    body = ["<h1>%s</h1>" % e(title),
            '<p class="note">Generated %s by <code>reports/make_report.py</code> from %d results '
            'file(s). %s. Fraction of roofline = roofline time / measured time. '
            'Raw data: <a href="results.json">results.json</a>; Markdown: '
            '<a href="summary.md">summary.md</a>.</p>' % (e(now), len(sources), e(RATIO_NOTE))]
    md = ["# %s" % title, "",
          "Generated %s by `reports/make_report.py` from %d results file(s)." % (now, len(sources)),
          "", RATIO_NOTE + ". Fraction of roofline = roofline time / measured time.", ""]
    merged = []
    used_stems = set()

    if len(sources) > 1:
        body.append("<ul>")
        for i, (path, data) in enumerate(sources, 1):
            body.append('<li><a href="#source-%d">%d. %s</a> (%s)</li>' % (
                i, i, e(os.path.basename(path)), e(machine_line(record_context(data)))))
        body.append("</ul>")

    for i, (path, data) in enumerate(sources, 1):
        ctx = record_context(data)
        records = sort_records(data["records"], ctx)
        name = os.path.basename(path)
        body.append('<h2 id="source-%d">%d. %s</h2>' % (i, i, e(name)))
        md += ["## %d. %s" % (i, name), ""]

        # Context
        crow = context_rows(ctx)
        body.append("<h3>Context</h3>")
        if crow:
            body.append('<table class="context"><tbody>' + "".join(
                "<tr><td>%s</td><td>%s</td></tr>" % (e(k), e(v)) for k, v in crow) +
                "</tbody></table>")
        else:
            body.append('<p class="note">This file records no context.</p>')
        md += ["### Context", ""]
        md += [md_table(["field", "value"], crow) if crow else "This file records no context.", ""]
        ceil = ceiling_rows(ctx)
        if ceil:
            body.append("<h3>Ceilings</h3>")
            body.append("<table><thead><tr><th>ceiling</th><th>value</th><th>detail</th>"
                        "<th>origin</th><th>how obtained</th></tr></thead><tbody>")
            for cname, value, detail, origin, how in ceil:
                body.append('<tr><td>%s</td><td class="num">%s</td><td>%s</td>'
                            '<td class="origin-%s">%s</td><td>%s</td></tr>' % (
                                e(cname), e(value), e(detail), e(origin.replace(" ", "-")),
                                e(origin), e(how)))
            body.append("</tbody></table>")
            md += ["### Ceilings", "",
                   md_table(["ceiling", "value", "detail", "origin", "how obtained"], ceil), ""]

        # Plots
        groups = plot_groups(records, ctx)
        if groups:
            body.append("<h3>Plots</h3>")
            md += ["### Plots", ""]
        for key, recs in groups.items():
            lab, group, threads, unit = key
            stem = slug("%d-lab%s-%s-t%s" % (i, lab, group, text(threads)))
            base_stem, n = stem, 2
            while stem in used_stems:
                stem, n = "%s-%d" % (base_stem, n), n + 1
            used_stems.add(stem)
            png, svg = make_plot(plt, key, recs, ctx, plot_dir, stem)
            cap = "Lab %s, group %s, %s thread(s): rate against %s" % (
                lab, group, text(threads), (text(recs[0].get("x_label")) or "size"))
            body.append('<figure><img src="plots/%s" alt="%s"><figcaption>%s. '
                        '<a href="plots/%s">PNG</a> · <a href="plots/%s">SVG</a></figcaption>'
                        '</figure>' % (e(png), e(cap), e(cap), e(png), e(svg)))
            md += ["![%s](plots/%s) ([SVG](plots/%s))" % (cap, png, svg), ""]

        # Tables
        timed = [r for r in records if is_timed(r)]
        metric = [r for r in records if is_metric(r)]
        if timed:
            rows = [timed_row(r) for r in timed]
            body.append("<h3>Timed records</h3>")
            body.append(html_table(TIMED_HEADERS, rows))
            md += ["### Timed records", "", md_table(TIMED_HEADERS, rows), ""]
        if metric:
            rows = [metric_row(r) for r in metric]
            body.append("<h3>Metric records</h3>")
            body.append(html_table(METRIC_HEADERS, rows, numeric_from=5))
            md += ["### Metric records", "", md_table(METRIC_HEADERS, rows), ""]
        if not records:
            body.append('<p class="note">This file holds no records.</p>')
            md += ["This file holds no records.", ""]

        for r in data["records"]:
            rr = dict(r)
            rr["source"] = i - 1
            merged.append(rr)

    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n" % (
                e(title), CSS, "\n".join(body)))
    _write(os.path.join(out_tmp, "index.html"), page)
    _write(os.path.join(out_tmp, "summary.md"), "\n".join(md).rstrip() + "\n")

    archive = {
        "schema": SCHEMA,
        "generated": now,
        "sources": [{"file": os.path.basename(p), "sha256": _sha256(p),
                     "context": record_context(d)} for p, d in sources],
        "context": record_context(sources[0][1]) if len(sources) == 1 else {},
        "records": merged,
    }
    _write(os.path.join(out_tmp, "results.json"),
           json.dumps(archive, indent=1, ensure_ascii=False) + "\n")
    _write(os.path.join(out_tmp, MARKER), "report folder written by reports/make_report.py\n")


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return "sha256:" + h.hexdigest()


def _write(path, content):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(content)


# --------------------------------------------------------------------------------------------------
# Atomic replacement of the output folder


def check_out_dir(out):
    if os.path.lexists(out):
        if not os.path.isdir(out) or os.path.islink(out):
            raise InputError("%s: output path exists and is not a directory" % out)
        if os.listdir(out) and not os.path.exists(os.path.join(out, MARKER)):
            raise InputError("%s: output folder exists, is not empty and was not written by %s; "
                             "refusing to replace it" % (out, PROG))


def replace_dir(tmp, out):
    """Move the finished report tmp to out, replacing a previous report there."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    parent = os.path.dirname(os.path.abspath(out))
    old = tempfile.mkdtemp(prefix=".%s.old-" % os.path.basename(os.path.abspath(out)), dir=parent)
    os.rmdir(old)
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Make an HTML/Markdown performance report from aisys.results/1 "
        "files.")
    ap.add_argument("--out", required=True, metavar="DIR",
                    help="report folder to write (replaced as a whole if it holds an earlier report)")
    ap.add_argument("--title", default="AISys Labs performance report", help="page title")
    ap.add_argument("results", nargs="+", metavar="results.json", help="results files")
    args = ap.parse_args(argv)

    out = os.path.abspath(args.out)
    try:
        sources = [(p, load_results(p)) for p in args.results]
        check_out_dir(out)
    except InputError as err:
        print("%s: error: %s" % (PROG, err), file=sys.stderr)
        return 2

    parent = os.path.dirname(out)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".%s.tmp-" % os.path.basename(out), dir=parent)
    except OSError as err:
        print("%s: error: cannot create a folder in %s: %s" % (PROG, parent, err), file=sys.stderr)
        return 2
    try:
        build_report(sources, tmp, args.title)
        os.chmod(tmp, 0o755)
        replace_dir(tmp, out)
    except ImportError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        print("%s: error: cannot import matplotlib with %s (%s); run with an interpreter that has "
              "it, e.g. /usr/bin/python3 with python3-matplotlib" % (PROG, sys.executable, err),
              file=sys.stderr)
        return 1
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print("%s: wrote %s" % (PROG, os.path.join(out, "index.html")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
