#!/usr/bin/python3
# AISys Labs: performance report generator.
#
# Reads one or more results files in the "aisys.results/1" schema (documented in reports/README.md)
# and writes a report folder:
#   index.html    self-contained page (inline CSS, no scripts): each file's context (machine,
#                 compiler, baselines, ceilings), plots of rate against size with the baseline and
#                 the roofline, a table of every timed record and a table of every metric record;
#                 for lab 08 (cluster scheduling) records with simulation details, a policy table
#                 and JCT / queuing-delay CDF, utilisation and pending-jobs plots per group; for
#                 lab 06 (pipeline-parallel scheduling) records, a table of the schedules run across
#                 ranks with a Gantt chart of each (measured above simulated), and for the
#                 simulated-only ones bubble and peak-memory tables and plots against the number of
#                 micro-batches and a Gantt chart of every schedule at one m; for lab 02
#                 (autograd) records, GFLOP/s per convolution layer as bars (im2col + GEMM against
#                 oneDNN, under the single-thread FMA peak) instead of the rate-against-size plot,
#                 a table of the framework's overhead in a training step and the training curves
#   plots/*.png, plots/*.svg   one plot per (results file, lab, group, threads); four per
#                 (results file, lab, group) of lab 08 records with details; lab 06's Gantt charts
#                 and plots against m; lab 02's bar charts per convolution pass and training curves
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
        check_sched_details(path, i, r)
        check_pipeline_fields(path, i, r)
        check_autograd_fields(path, i, r)
    ctx = data.get("context")
    if ctx is not None and not isinstance(ctx, dict):
        raise InputError("%s: \"context\" is a JSON %s, expected an object" % (path, _json_type(ctx)))
    return data


# A lab 08 (cluster scheduling) record's "details": the simulation of the candidate policy and of
# its FIFO baseline on one trace, each side an object of metrics (below), the JCT and queuing-delay
# distributions (values at the 0th..100th percentiles) and a time series. Any of these may be
# missing; present ones must have the right types, so that a broken file is named, not half drawn.
SCHED_SIDES = ("candidate", "baseline")
SCHED_NUMBERS = ("jobs", "avg_jct_s", "p50_jct_s", "p95_jct_s", "p99_jct_s", "avg_queue_s",
                 "p95_queue_s", "avg_pending_s", "makespan_s", "throughput_per_h", "utilization",
                 "fragmentation", "jain_fairness", "ftf_mean", "ftf_max", "sla_misses_total",
                 "cross_node_jobs", "fits_in_node_jobs", "preemptions", "events", "events_per_s",
                 "wall_s")
SCHED_CDFS = ("jct_cdf_s", "queue_cdf_s")


def check_sched_details(path, i, rec):
    """Raise InputError when records[i].details holds scheduling sides of the wrong shape.

    Numbers may be null (the simulator writes NaN as null); a series row must hold one number per
    column.
    """
    details = rec.get("details")
    if not isinstance(details, dict) or not any(k in details for k in SCHED_SIDES):
        return
    for side in SCHED_SIDES:
        if side not in details:
            continue
        where = "%s: records[%d].details.%s" % (path, i, side)
        m = details[side]
        if not isinstance(m, dict):
            raise InputError("%s is a JSON %s, expected an object" % (where, _json_type(m)))
        if "policy" in m and not isinstance(m["policy"], str):
            raise InputError("%s.policy is a JSON %s, expected a string" % (
                where, _json_type(m["policy"])))
        for k in SCHED_NUMBERS:
            if k in m and not _number_or_null(m[k]):
                raise InputError("%s.%s is a JSON %s, expected a number" % (
                    where, k, _json_type(m[k])))
        if "sla_misses" in m and not isinstance(m["sla_misses"], dict):
            raise InputError("%s.sla_misses is a JSON %s, expected an object (VC -> count)" % (
                where, _json_type(m["sla_misses"])))
        for k in SCHED_CDFS:
            if k not in m:
                continue
            if not isinstance(m[k], list):
                raise InputError("%s.%s is a JSON %s, expected a list of numbers" % (
                    where, k, _json_type(m[k])))
            for j, v in enumerate(m[k]):
                if not _number_or_null(v):
                    raise InputError("%s.%s[%d] is a JSON %s, expected a number" % (
                        where, k, j, _json_type(v)))
        if "series" in m:
            _check_series(where + ".series", m["series"])


def _check_series(where, series):
    if not isinstance(series, dict):
        raise InputError("%s is a JSON %s, expected an object with \"columns\" and \"rows\"" % (
            where, _json_type(series)))
    columns = series.get("columns")
    rows = series.get("rows")
    if columns is not None and (not isinstance(columns, list) or
                                not all(isinstance(c, str) for c in columns)):
        raise InputError("%s.columns is not a list of column names" % where)
    if rows is None:
        return
    if not isinstance(rows, list):
        raise InputError("%s.rows is a JSON %s, expected a list of rows" % (where, _json_type(rows)))
    if rows and columns is None:
        raise InputError("%s has rows but no \"columns\" naming their values" % where)
    for j, row in enumerate(rows):
        if not isinstance(row, list):
            raise InputError("%s.rows[%d] is a JSON %s, expected a list of numbers" % (
                where, j, _json_type(row)))
        if len(row) != len(columns):
            raise InputError("%s.rows[%d] has %d value%s, expected %d (one per column: %s)" % (
                where, j, len(row), "" if len(row) == 1 else "s", len(columns), ", ".join(columns)))
        for k, v in enumerate(row):
            if not _number_or_null(v):
                raise InputError("%s.rows[%d][%d] is a JSON %s, expected a number" % (
                    where, j, k, _json_type(v)))


# A lab 06 (pipeline-parallel scheduling) record: a schedule run across ranks with emulated compute
# (it has a time_s, the simulator's prediction and the measured and simulated timelines of one step)
# or simulated only with unit costs ("simulated": true, no time_s: bubble fraction and peak
# activation memory at one number of micro-batches). A record holding any of PIPELINE_MARKERS is a
# pipeline record; its pipeline fields are checked below. A timeline is a list of rows
# [stage, op code, micro-batch, chunk, start_s, end_s]: op codes F, B, I, W (compute), OPT
# (optimizer), RA, RG (receives: the stage waited for a message), SA, SG (sends).
PIPELINE_MARKERS = ("timeline_measured", "timeline_simulated", "bubble_measured",
                    "bubble_simulated", "bubble_fraction", "peak_activation_fraction")
PIPELINE_NUMBERS = ("predicted_time_s", "prediction_error", "bubble_measured", "bubble_simulated",
                    "bubble_theory", "bubble_fraction", "peak_activations",
                    "peak_activation_fraction", "makespan_units")
PIPELINE_COSTS = ("calibrated_costs_s", "emulated_costs_s")
PIPELINE_TIMELINES = ("timeline_measured", "timeline_simulated")
TIMELINE_COLUMNS = ("stage", "op", "micro-batch", "chunk", "start_s", "end_s")


def check_pipeline_fields(path, i, rec):
    """Raise InputError when records[i] is a pipeline record whose pipeline fields have the wrong
    shape.

    Scalars and costs may be null (NaN is written as null); every timeline row must hold exactly
    [stage (an integer >= 0), op code (a string), micro-batch, chunk, start_s, end_s] as numbers.
    """
    if not is_pipeline(rec):
        return
    where = "%s: records[%d]" % (path, i)
    for k in PIPELINE_NUMBERS:
        if k in rec and not _number_or_null(rec[k]):
            raise InputError("%s.%s is a JSON %s, expected a number" % (
                where, k, _json_type(rec[k])))
    for k in PIPELINE_COSTS:
        if k not in rec:
            continue
        costs = rec[k]
        if not isinstance(costs, dict):
            raise InputError("%s.%s is a JSON %s, expected an object (op -> seconds)" % (
                where, k, _json_type(costs)))
        for name, v in costs.items():
            if not _number_or_null(v):
                raise InputError("%s.%s.%s is a JSON %s, expected a number" % (
                    where, k, name, _json_type(v)))
    layout = ", ".join(TIMELINE_COLUMNS)
    for k in PIPELINE_TIMELINES:
        if k not in rec:
            continue
        rows = rec[k]
        if not isinstance(rows, list):
            raise InputError("%s.%s is a JSON %s, expected a list of rows [%s]" % (
                where, k, _json_type(rows), layout))
        for j, row in enumerate(rows):
            at = "%s.%s[%d]" % (where, k, j)
            if not isinstance(row, list):
                raise InputError("%s is a JSON %s, expected a row [%s]" % (
                    at, _json_type(row), layout))
            if len(row) != len(TIMELINE_COLUMNS):
                raise InputError("%s has %d value%s, expected %d (%s)" % (
                    at, len(row), "" if len(row) == 1 else "s", len(TIMELINE_COLUMNS), layout))
            if not isinstance(row[1], str):
                raise InputError("%s[1] (op) is a JSON %s, expected a string (an op code such as "
                                 "\"F\")" % (at, _json_type(row[1])))
            for c in (0, 2, 3, 4, 5):
                if num(row[c]) is None:
                    raise InputError("%s[%d] (%s) is %s, expected a number" % (
                        at, c, TIMELINE_COLUMNS[c], "a JSON " + _json_type(row[c])
                        if _json_type(row[c]) != "number" else "not finite"))
            if row[0] < 0 or row[0] != int(row[0]):
                raise InputError("%s[0] (stage) is %s, expected a stage index (an integer >= 0)" % (
                    at, json.dumps(row[0])))


def is_pipeline(rec):
    """Whether a record holds lab 06 pipeline fields (a timeline, a bubble or peak memory)."""
    return any(k in rec for k in PIPELINE_MARKERS)


def is_pipeline_sim(rec):
    """A pipeline record that was only simulated: no measured time to tabulate or plot."""
    return is_pipeline(rec) and (rec.get("simulated") is True or num(rec.get("time_s")) is None)


# Lab 02 (autograd) records, of three kinds, each recognised by its fields:
#   - a convolution layer (case conv/PASS/LAYER, group conv-PASS): shape.layer names the layer and x
#     is its index; rate and baseline.rate are the GFLOP/s of im2col + GEMM and of oneDNN;
#   - the profile of one training step (cases overhead/... and step/...): details hold the numbers
#     of AUTOGRAD_PROFILE (seconds per step inside forward kernels, backward rules, the optimizer
#     and outside kernels, and the fractions);
#   - a training run (case train/...): details hold a training curve per model (TRAIN_MODELS), each
#     {"step": [...], "loss": [one per step], "eval_step": [...], "test_accuracy": [one per
#     eval_step], "seconds", "final_test_accuracy"}, and batch_size, optimizer and lr.
# Any field may be missing; present ones are checked below, so that a broken file is named, not half
# drawn.
CONV_SHAPE_NUMBERS = ("N", "C", "H", "W", "K", "R", "S", "stride", "padding")
AUTOGRAD_PROFILE = ("steps", "step_s", "forward_kernels_s", "backward_rules_s", "optimizer_s",
                    "kernel_calls_per_step", "outside_kernels_s", "kernel_fraction",
                    "overhead_fraction")
PROFILE_MARKERS = ("forward_kernels_s", "backward_rules_s", "outside_kernels_s", "kernel_fraction",
                   "overhead_fraction")
TRAIN_MODELS = (("cnn", "candidate"), ("mlp", "baseline"))  # details key, role in the record
CURVE_LISTS = (("step", "loss"), ("eval_step", "test_accuracy"))  # (x list, y list of its length)
CURVE_NUMBERS = ("seconds", "final_test_accuracy")
TRAIN_NUMBERS = ("batch_size", "lr")


def check_autograd_fields(path, i, rec):
    """Raise InputError when records[i] is a lab 02 record (a convolution layer, a step profile or a
    training run) whose lab 02 fields have the wrong shape.

    Numbers may be null (NaN is written as null), except the steps of a curve; a curve's loss list
    must hold one value per step and its test_accuracy list one per eval_step."""
    where = "%s: records[%d]" % (path, i)
    if is_conv_layer(rec):
        shape = rec["shape"]
        if not isinstance(shape["layer"], str):
            raise InputError("%s.shape.layer is a JSON %s, expected the layer's name (a string)" % (
                where, _json_type(shape["layer"])))
        for k in CONV_SHAPE_NUMBERS:
            if k in shape and not _number_or_null(shape[k]):
                raise InputError("%s.shape.%s is a JSON %s, expected a number" % (
                    where, k, _json_type(shape[k])))
        if "x" in rec and not _number_or_null(rec["x"]):
            raise InputError("%s.x is a JSON %s, expected the layer's index (a number)" % (
                where, _json_type(rec["x"])))
    details = rec.get("details")
    if not isinstance(details, dict):
        return
    if is_autograd_profile(rec):
        for k in AUTOGRAD_PROFILE:
            if k in details and not _number_or_null(details[k]):
                raise InputError("%s.details.%s is a JSON %s, expected a number" % (
                    where, k, _json_type(details[k])))
    if is_training(rec):
        for k in TRAIN_NUMBERS:
            if k in details and not _number_or_null(details[k]):
                raise InputError("%s.details.%s is a JSON %s, expected a number" % (
                    where, k, _json_type(details[k])))
        if "optimizer" in details and not isinstance(details["optimizer"], str):
            raise InputError("%s.details.optimizer is a JSON %s, expected a string" % (
                where, _json_type(details["optimizer"])))
        for model, _role in TRAIN_MODELS:
            if model in details:
                _check_curve("%s.details.%s" % (where, model), details[model])


def _check_curve(where, curve):
    if not isinstance(curve, dict):
        raise InputError("%s is a JSON %s, expected an object with \"step\", \"loss\", "
                         "\"eval_step\" and \"test_accuracy\" lists" % (where, _json_type(curve)))
    for xs, ys in CURVE_LISTS:
        for k in (xs, ys):
            if k in curve and not isinstance(curve[k], list):
                raise InputError("%s.%s is a JSON %s, expected a list of numbers" % (
                    where, k, _json_type(curve[k])))
        for j, v in enumerate(curve.get(xs) or []):
            if num(v) is None:
                raise InputError("%s.%s[%d] is %s, expected a number" % (
                    where, xs, j, "a JSON " + _json_type(v) if _json_type(v) != "number"
                    else "not finite"))
        for j, v in enumerate(curve.get(ys) or []):
            if not _number_or_null(v):
                raise InputError("%s.%s[%d] is a JSON %s, expected a number" % (
                    where, ys, j, _json_type(v)))
        if ys in curve and xs not in curve:
            raise InputError("%s has a \"%s\" list but no \"%s\" list saying where its values "
                             "were taken" % (where, ys, xs))
        if ys in curve and len(curve[ys]) != len(curve[xs]):
            n = len(curve[ys])
            raise InputError("%s.%s has %d value%s, expected %d (one per entry of %s)" % (
                where, ys, n, "" if n == 1 else "s", len(curve[xs]), xs))
    for k in CURVE_NUMBERS:
        if k in curve and not _number_or_null(curve[k]):
            raise InputError("%s.%s is a JSON %s, expected a number" % (
                where, k, _json_type(curve[k])))


def is_conv_layer(rec):
    """Whether a record is a lab 02 convolution layer: its shape names the layer (shape.layer)."""
    shape = rec.get("shape")
    return isinstance(shape, dict) and "layer" in shape


def is_autograd_profile(rec):
    """Whether a record's details hold lab 02's profile of a training step."""
    details = rec.get("details")
    return isinstance(details, dict) and any(k in details for k in PROFILE_MARKERS)


def is_training(rec):
    """Whether a record's details hold lab 02's training curves (a "cnn" or "mlp" curve)."""
    details = rec.get("details")
    return isinstance(details, dict) and any(m in details for m, _role in TRAIN_MODELS)


def _number_or_null(v):
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


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
    """Whether a record belongs in the timed-record table: every record that is not a metric one,
    except simulated-only pipeline records (they have no time; the pipeline section shows them)."""
    if is_pipeline_sim(rec):
        return False
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
        if ob.get("handicapped") is True:
            desc += " (HANDICAPPED: %s kernels on a CPU with %s; ratios against it are not results)" % (
                text(ob.get("kernel_isa")) or "older", text(ob.get("cpu_isa")) or "a newer instruction set")
        bits.append(desc)
    if text(ctx.get("commit")):
        bits.append("commit " + text(ctx.get("commit")))
    if text(ctx.get("date")):
        bits.append(text(ctx.get("date")))
    incomplete = ctx.get("incomplete")
    if isinstance(incomplete, dict):  # the benchmark stopped before its last case
        bits.append("INCOMPLETE run: %s of %s cases" % (text(incomplete.get("cases_done")) or "?",
                                                        text(incomplete.get("cases_selected")) or "?"))
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


# Lab 08 (cluster scheduling): one row per policy of a group, from each record's details.candidate,
# and one for the FIFO baseline, from details.baseline (the same trace for every record of a group).
SCHED_HEADERS = ["policy", "scored metric", "ratio to fifo ± IQR/2", "jobs", "avg JCT (h)",
                 "p50 JCT (h)", "p95 JCT (h)", "p99 JCT (h)", "avg queuing delay", "makespan (days)",
                 "throughput (jobs/h)", "utilisation", "fragmentation", "Jain's fairness", "FTF mean",
                 "FTF max", "SLA misses", "cross-node / fits in node", "preemptions", "events/s",
                 "wall (s)"]
SCHED_NOTE = ("One row per policy simulated on the group's trace, and the FIFO baseline (first-in "
              "first-out, first-fit placement) on the same trace. JCT = finish − submit; queuing "
              "delay = first start − submit; utilisation = GPU-seconds held / (GPUs × makespan); "
              "fragmentation = mean share of free GPUs that a pending gang job cannot use; Jain's "
              "fairness across users (1 = all slowed down alike); FTF = finish-time fairness "
              "JCT / fair-share time (> 1: worse than a fair share); SLA misses summed over VCs; "
              "cross-node = jobs of at most one node's GPUs placed across nodes, of the multi-GPU "
              "jobs that fit in a node. The scored metric and ratio are the record's; "
              "events/s and wall time are the simulator's on this machine.")


def sched_details(rec):
    """A record's scheduling details (an object with a "candidate" object), or None."""
    details = rec.get("details")
    if isinstance(details, dict) and isinstance(details.get("candidate"), dict):
        return details
    return None


def sched_groups(records, ctx):
    """{(lab, group): [records with scheduling details]}, in record order."""
    groups = {}
    for rec in records:
        if is_metric(rec) and sched_details(rec) is not None:
            key = (record_lab(rec, ctx), text(rec.get("group")) or "(no group)")
            groups.setdefault(key, []).append(rec)
    return groups


def sched_policy_name(rec):
    """The candidate policy's name: details.candidate.policy, else the last part of part or case."""
    name = text(obj(obj(sched_details(rec)).get("candidate")).get("policy"))
    if name:
        return name
    for field in ("part", "case"):
        v = text(rec.get(field))
        if v:
            return v.rsplit("/", 1)[-1]
    return "(unnamed policy)"


def sched_baseline(recs):
    """(name, metrics) of the FIFO baseline from the first record that has details.baseline."""
    for rec in recs:
        base = obj(sched_details(rec)).get("baseline")
        if isinstance(base, dict):
            name = (text(base.get("policy")) or text(obj(rec.get("baseline")).get("name")) or
                    "baseline")
            return name, base
    return None, None


def fmt_bytes(v):
    """A byte count as 4 B, 64 KiB, 16 MiB, 1 GiB (powers of 1024; other values as numbers)."""
    v = num(v)
    if v is None:
        return ""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= scale:
            return "%s %s" % (fmt_num(v / scale), unit)
    return "%s B" % fmt_num(v)


def fmt_hours(seconds):
    v = num(seconds)
    return "" if v is None else "%.2f" % (v / 3600)


def fmt_days(seconds):
    v = num(seconds)
    return "" if v is None else "%.2f" % (v / 86400)


def fmt_duration(seconds):
    """Three significant digits in s, min, h or d, whichever reads best: '22.9 s', '2.15 h'."""
    v = num(seconds)
    if v is None:
        return ""
    a = abs(v)
    if a < 60:
        return "%s s" % fmt_num(v, 3)
    if a < 3600:
        return "%s min" % fmt_num(v / 60, 3)
    if a < 2 * 86400:
        return "%s h" % fmt_num(v / 3600, 3)
    return "%s d" % fmt_num(v / 86400, 3)


def fmt_count(v):
    v = num(v)
    if v is None:
        return ""
    return "%d" % v if v == int(v) else fmt_num(v)


def sched_row(policy, m, rec=None):
    """One row of the policy table: a policy's metrics m; rec (the scored record) for a candidate."""
    m = obj(m)
    scored = ratio = ""
    if rec is not None:
        metric = obj(rec.get("metric"))
        value = num(metric.get("value"))
        if value is not None:
            scored = " ".join(x for x in (text(metric.get("name")), fmt_num(value),
                                          text(metric.get("unit"))) if x)
        ratio = fmt_ratio(rec)
    cross, fits = fmt_count(m.get("cross_node_jobs")), fmt_count(m.get("fits_in_node_jobs"))
    return [policy, scored, ratio, fmt_count(m.get("jobs")), fmt_hours(m.get("avg_jct_s")),
            fmt_hours(m.get("p50_jct_s")), fmt_hours(m.get("p95_jct_s")),
            fmt_hours(m.get("p99_jct_s")), fmt_duration(m.get("avg_queue_s")),
            fmt_days(m.get("makespan_s")), fmt_fixed(m.get("throughput_per_h"), 2),
            fmt_fixed(m.get("utilization"), 3), fmt_fixed(m.get("fragmentation"), 3),
            fmt_fixed(m.get("jain_fairness"), 4), fmt_num(m.get("ftf_mean")),
            fmt_num(m.get("ftf_max")), fmt_count(m.get("sla_misses_total")),
            "%s / %s" % (cross, fits) if cross or fits else "", fmt_count(m.get("preemptions")),
            fmt_num(m.get("events_per_s")), fmt_num(m.get("wall_s"))]


def sched_rows(recs):
    """The policy table of one group: a row per record, then the baseline's."""
    rows = [sched_row(sched_policy_name(r), sched_details(r)["candidate"], r) for r in recs]
    name, base = sched_baseline(recs)
    if base is not None:
        rows.append(sched_row(name + " (baseline)", base))
    return rows


# Lab 06 (pipeline-parallel scheduling): per (lab, group), a table of the schedules run across ranks
# (measured step, the no-pipelining baseline, the calibrated simulator's prediction, bubbles) and,
# for the simulated-only records, tables of bubble fraction and peak activation memory against the
# number of micro-batches m.
PIPELINE_NOTE = ("Step = median step time (the slowest rank's) over interleaved pairs with the "
                 "no-pipelining schedule; ratio = that schedule's step / this schedule's (median of "
                 "the pairs), ± half the interquartile range of the per-pair ratios; predicted = the "
                 "simulator's step after calibrating op costs and message delays on this "
                 "machine; prediction error = measured / predicted − 1; bubble = idle compute time / "
                 "(stages × step), from the measured timeline, the simulated one and the textbook "
                 "formula.")
PIPELINE_SIM_NOTE = ("Bubble fraction against m: simulated with unit costs (F = I = W = 1 per "
                     "stage, split over the v chunks of an interleaved schedule) for m micro-batches "
                     "per step, the textbook formula's value in parentheses.")
PIPELINE_MEMORY_NOTE = ("Peak activation memory: the most (micro-batch, chunk) activations one "
                        "stage holds at once (forward done, input gradient not yet), as a fraction "
                        "of the whole batch's m × v, that count in parentheses.")


def pipeline_groups(records, ctx):
    """{(lab, group): [pipeline records]} (runtime and simulated-only ones), in record order."""
    groups = {}
    for rec in records:
        if is_pipeline(rec):
            key = (record_lab(rec, ctx), text(rec.get("group")) or "(no group)")
            groups.setdefault(key, []).append(rec)
    return groups


def pipeline_schedule(rec):
    """The schedule's name: part, else the second field of the case ("runtime/gpipe/p4-m8"), with
    the number of chunks when there are several: "interleaved (v = 2)"."""
    name = text(rec.get("part"))
    if not name:
        bits = text(rec.get("case")).split("/")
        name = bits[1] if len(bits) > 1 and bits[1] else (bits[0] or "(unnamed schedule)")
    chunks = num(obj(rec.get("shape")).get("chunks"))
    if chunks is not None and chunks > 1:
        name += " (v = %s)" % fmt_num(chunks)
    return name


def pipeline_baseline_name(recs):
    """The runtime records' baseline name when they share one ("sequential"), else "baseline"."""
    names = {text(obj(r.get("baseline")).get("name")) for r in recs} - {""}
    return names.pop() if len(names) == 1 else "baseline"


def pipeline_headers(recs):
    base = pipeline_baseline_name(recs)
    return ["schedule", "step (ms)", "%s step (ms)" % base, "ratio to %s ± IQR/2" % base,
            "predicted step (ms)", "prediction error", "bubble measured", "bubble simulated",
            "bubble textbook"]


def fmt_ms(seconds, decimals=2):
    v = num(seconds)
    return "" if v is None else "%.*f" % (decimals, v * 1e3)


def fmt_percent(v):
    """A relative error as a signed percentage: 0.06 -> '+6.0 %'."""
    v = num(v)
    return "" if v is None else "%+.1f %%" % (v * 100)


def pipeline_row(rec):
    """One row of the runtime table (pipeline_headers)."""
    return [pipeline_schedule(rec), fmt_ms(rec.get("time_s")),
            fmt_ms(obj(rec.get("baseline")).get("time_s")), fmt_ratio(rec),
            fmt_ms(rec.get("predicted_time_s")), fmt_percent(rec.get("prediction_error")),
            fmt_fixed(rec.get("bubble_measured"), 3), fmt_fixed(rec.get("bubble_simulated"), 3),
            fmt_fixed(rec.get("bubble_theory"), 3)]


def sim_m(rec):
    """The number of micro-batches of a simulated record: x, else shape.microbatches."""
    m = num(rec.get("x"))
    if m is None:
        m = num(obj(rec.get("shape")).get("microbatches"))
    return m


def _sim_table(recs, cell):
    """(headers, rows): one row per schedule, one column per m, cell(rec) in each ("—" where the
    schedule has no record at that m, e.g. interleaved needs m to be a multiple of p)."""
    schedules, ms, cells = [], set(), {}
    for rec in recs:
        name, m = pipeline_schedule(rec), sim_m(rec)
        if m is None:
            continue
        if name not in schedules:
            schedules.append(name)
        ms.add(m)
        cells[(name, m)] = cell(rec)
    ms = sorted(ms)
    headers = ["schedule"] + ["m = %s" % fmt_num(m) for m in ms]
    rows = [[name] + [cells.get((name, m), "—") for m in ms] for name in schedules]
    return headers, rows


def _bubble_cell(rec):
    sim, theory = num(rec.get("bubble_fraction")), num(rec.get("bubble_theory"))
    if sim is None:
        return "" if theory is None else "(%.3f)" % theory
    return "%.3f" % sim + ("" if theory is None else " (%.3f)" % theory)


def _memory_cell(rec):
    frac, count = num(rec.get("peak_activation_fraction")), num(rec.get("peak_activations"))
    if frac is None:
        return "" if count is None else "(%s)" % fmt_count(count)
    return "%.3f" % frac + ("" if count is None else " (%s)" % fmt_count(count))


def bubble_table(recs):
    """(headers, rows) of simulated bubble fraction (textbook) against m, per schedule."""
    return _sim_table([r for r in recs if "bubble_fraction" in r or "bubble_theory" in r],
                      _bubble_cell)


def memory_table(recs):
    """(headers, rows) of peak activation memory fraction (peak count) against m, per schedule."""
    return _sim_table([r for r in recs if "peak_activation_fraction" in r or
                       "peak_activations" in r], _memory_cell)



# Lab 02 (autograd): the framework's overhead in one training step, from a step profile's details
# (seconds per step, averaged over the profiled steps).
PROFILE_HEADERS = ["part of the step", "time per step", "fraction of the step"]
PROFILE_ROWS = (("step_s", "whole step"),
                ("forward_kernels_s", "forward kernels (the ops)"),
                ("backward_rules_s", "backward rules"),
                ("optimizer_s", "optimizer update"),
                ("outside_kernels_s", "outside kernels (the framework's overhead)"),
                ("hand_step_s", "the same step written by hand (no graph), for comparison"))
PROFILE_NOTE = ("Seconds per training step, averaged over the profiled steps: inside the forward "
                "ops' kernels, inside the backward rules, in the optimizer's update, and outside "
                "all of them (building the graph, the engine's bookkeeping: the framework's "
                "overhead); fraction = that time / the whole step. The overhead fraction is the "
                "fraction outside kernels, 1 − kernel_fraction. The graded framework efficiency is "
                "T_hand / (T_hand + T_outside), with T_hand the hand-written step's time: slower "
                "kernels cannot raise it.")


def profile_records(records):
    """The records whose profile table is shown: the metric records with a step profile
    (overhead/...), else the timed ones (step/...) when no metric record has one."""
    recs = [r for r in records if is_autograd_profile(r)]
    metric = [r for r in recs if is_metric(r)]
    return metric or recs


def profile_rows(rec):
    """[(part of the step, time, fraction of the step)] of one record's step profile."""
    d = obj(rec.get("details"))
    step = num(d.get("step_s"))
    rows = []
    for k, label in PROFILE_ROWS:
        t = num(d.get(k))
        if k == "step_s":
            frac = 1.0 if t is not None else None
        elif k == "outside_kernels_s" and num(d.get("overhead_fraction")) is not None:
            frac = num(d.get("overhead_fraction"))
        else:
            frac = t / step if t is not None and step else None
        if t is None and frac is None:
            continue
        rows.append([label, fmt_time(t), fmt_fixed(frac, 3)])
    return rows


def profile_note(rec, records):
    """What the table's numbers come from: profiled steps, kernel calls, the overhead fraction, and
    the timed step against its baseline (a record of the same batch whose details hold a profile
    and a time)."""
    d = obj(rec.get("details"))
    bits = []
    if num(d.get("steps")) is not None:
        bits.append("%s profiled steps" % fmt_count(d.get("steps")))
    if num(d.get("kernel_calls_per_step")) is not None:
        bits.append("%s kernel calls per step" % fmt_num(d.get("kernel_calls_per_step")))
    if num(d.get("overhead_fraction")) is not None:
        bits.append("overhead fraction %.3f" % num(d.get("overhead_fraction")))
    elif num(d.get("kernel_fraction")) is not None:
        bits.append("kernel fraction %.3f" % num(d.get("kernel_fraction")))
    if num(d.get("framework_efficiency")) is not None:
        bits.append("framework efficiency %.3f" % num(d.get("framework_efficiency")))
    line = "%s: %s." % (text(rec.get("case")) or "step profile", ", ".join(bits)) if bits else ""
    for r in records:
        base = obj(r.get("baseline"))
        if r is rec or not is_autograd_profile(r) or num(r.get("time_s")) is None:
            continue
        timed = "Timed %s: %s per step" % (text(r.get("case")), fmt_time(r.get("time_s")))
        if num(base.get("time_s")) is not None:
            timed += " against %s for %s" % (fmt_time(base.get("time_s")),
                                             text(base.get("name")) or "its baseline")
        if fmt_ratio(r):
            timed += " (ratio %s)" % fmt_ratio(r)
        line += (" " if line else "") + timed + "."
    return (line + " " if line else "") + PROFILE_NOTE

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
    """{(lab, group, threads, unit): [records]} for records that have a rate and a size x (not
    lab 02's convolution layers, whose x is a layer index)."""
    groups = {}
    for rec in records:
        if is_conv_layer(rec):
            continue  # x is a layer index, not a size: conv_groups' bar charts show these
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
    x_labels = sorted({text(r.get("x_label")) for r in recs} - {""})
    in_bytes = bool(x_labels) and all("bytes" in x for x in x_labels)
    if len(xs) <= 16:
        ax.set_xticks(xs)
        ax.set_xticklabels([fmt_bytes(x) if in_bytes else fmt_num(x) for x in xs],
                           rotation=30 if in_bytes else 0)
        ax.minorticks_off()
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
    return save_plot(plt, fig, plot_dir, stem)


def save_plot(plt, fig, plot_dir, stem):
    """Write fig as stem.png and stem.svg under plot_dir (no dates: reruns give the same files)."""
    fig.tight_layout()
    png, svg = stem + ".png", stem + ".svg"
    fig.savefig(os.path.join(plot_dir, png), dpi=110, metadata={"Software": None})
    fig.savefig(os.path.join(plot_dir, svg), metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return png, svg


# Lab 08 plots: four per (results file, lab, group), one line per policy and the FIFO baseline
# dashed in black. Each is (file name suffix, caption, function drawing it).


def cdf_points(values):
    """[(value, fraction of jobs)] from values at evenly spaced quantiles (0th..100th percentile).

    Missing and non-positive values are dropped (the axes are logarithmic), so a policy whose
    delays are mostly zero starts its curve at the share of jobs that waited.
    """
    values = values if isinstance(values, list) else []
    n = len(values)
    pts = []
    for j, v in enumerate(values):
        v = num(v)
        if v is not None and v > 0:
            pts.append((v, j / (n - 1) if n > 1 else 1.0))
    return pts


def series_points(m, column):
    """[(t_s, value)] of one column of a side's details.series; [] when it lacks the column."""
    series = obj(obj(m).get("series"))
    columns, rows = series.get("columns"), series.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        return []
    if "t_s" not in columns or column not in columns:
        return []
    it, iv = columns.index("t_s"), columns.index(column)
    pts = []
    for row in rows:
        if isinstance(row, list) and len(row) == len(columns):
            t, v = num(row[it]), num(row[iv])
            if t is not None and v is not None:
                pts.append((t, v))
    return pts


def sched_sides(recs):
    """[(label, metrics, is_baseline)]: every policy of the group, then the baseline."""
    sides = [(sched_policy_name(r), sched_details(r)["candidate"], False) for r in recs]
    name, base = sched_baseline(recs)
    if base is not None:
        sides.append((name + " (baseline)", base, True))
    return sides


SCHED_PLOTS = [
    ("jct-cdf", "job completion time CDF per policy (log x axis, hours)"),
    ("queue-cdf", "queuing delay (first start − submit) CDF per policy (log x axis, hours; "
                  "jobs that never waited are left out of the curve)"),
    ("utilization", "GPU utilisation over time per policy (days since the first submission)"),
    ("pending", "pending jobs over time per policy (days since the first submission; "
                "symmetric log y axis)"),
]


def model_groups(records, ctx):
    """{(lab, group): records with a measured time and a model's predicted_time_s}."""
    groups = {}
    for rec in records:
        if is_pipeline(rec):
            continue  # lab 06's predictions are of a whole step: the pipeline section shows them
        if num(rec.get("time_s")) and num(rec.get("predicted_time_s")) and num(rec.get("x")):
            key = (record_lab(rec, ctx), text(rec.get("group")) or "(no group)")
            groups.setdefault(key, []).append(rec)
    return groups


def crossovers(series):
    """Sizes where the fastest of several {name: [(x, t)]} series changes: [(x_between, old, new)]."""
    xs = sorted({x for pts in series.values() for x, _ in pts})
    best = []
    for x in xs:
        times = [(t, name) for name, pts in series.items() for px, t in pts if px == x]
        if times:
            best.append((x, min(times)[1]))
    out = []
    for (x0, a), (x1, b) in zip(best, best[1:]):
        if a != b:
            out.append(((x0 * x1) ** 0.5, a, b))
    return out


def make_model_plot(plt, key, recs, ctx, plot_dir, stem):
    """Measured time (solid) and the alpha-beta model's prediction (dashed) against size, per
    algorithm, with the sizes where the fastest algorithm changes (measured: dotted lines)."""
    lab, group = key
    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    measured, predicted = {}, {}
    for rec in recs:
        name = text(rec.get("part")) or text(rec.get("case"))
        measured.setdefault(name, []).append((num(rec.get("x")), num(rec.get("time_s"))))
        predicted.setdefault(name, []).append((num(rec.get("x")), num(rec.get("predicted_time_s"))))
    for idx, name in enumerate(sorted(measured)):
        color = "C%d" % (idx % 10)
        m = sorted(measured[name])
        pr = sorted(predicted[name])
        ax.plot([x for x, _ in m], [t for _, t in m], "-o", color=color, label=name + " (measured)")
        ax.plot([x for x, _ in pr], [t for _, t in pr], "--", color=color, label=name + " (model)")
    for x, a, b in crossovers(measured):
        ax.axvline(x, color="grey", linestyle=":", linewidth=1)
        ax.annotate("%s -> %s" % (a, b), (x, ax.get_ylim()[1]), rotation=90, va="top", ha="right",
                    fontsize=7, color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    xs = sorted({num(r.get("x")) for r in recs})
    if len(xs) <= 16:
        ax.set_xticks(xs)
        ax.set_xticklabels([fmt_bytes(x) for x in xs], rotation=30)
        ax.minorticks_off()
    ax.set_xlabel("message size (log2 scale)")
    ax.set_ylabel("time per operation (s, log scale)")
    link = obj(ctx.get("link"))
    ab = ""
    if num(link.get("alpha_s")) is not None:
        ab = ": alpha %s us, %s GB/s" % (fmt_num(num(link.get("alpha_s")) * 1e6),
                                        fmt_num(num(link.get("bandwidth_gbs"))))
    ax.set_title("Lab %s, %s: measured against the alpha-beta model%s" % (lab, group, ab))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_plot(plt, fig, plot_dir, stem)


def make_sched_plot(plt, kind, key, recs, ctx, plot_dir, stem):
    """Draw one lab 08 plot of the given kind; write stem.png and stem.svg; return the names, or
    None when no policy has data for it."""
    lab, group = key
    if kind == "jct-cdf":
        lines = [(label, [(v / 3600, f) for v, f in cdf_points(obj(m).get("jct_cdf_s"))], b)
                 for label, m, b in sched_sides(recs)]
        xlabel, ylabel, what = "job completion time (hours, log scale)", "fraction of jobs", "JCT CDF"
    elif kind == "queue-cdf":
        lines = [(label, [(v / 3600, f) for v, f in cdf_points(obj(m).get("queue_cdf_s"))], b)
                 for label, m, b in sched_sides(recs)]
        xlabel, ylabel = "queuing delay (hours, log scale)", "fraction of jobs"
        what = "queuing delay CDF"
    elif kind == "utilization":
        lines = [(label, [(t / 86400, v) for t, v in series_points(m, "utilization")], b)
                 for label, m, b in sched_sides(recs)]
        xlabel, ylabel, what = "time (days)", "GPU utilisation (busy GPUs / GPUs)", "utilisation"
    else:
        lines = [(label, [(t / 86400, v) for t, v in series_points(m, "pending_jobs")], b)
                 for label, m, b in sched_sides(recs)]
        xlabel, ylabel, what = "time (days)", "pending jobs (symmetric log scale)", "pending jobs"
    if not any(pts for _label, pts, _b in lines):
        return None

    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    over_time = kind in ("utilization", "pending")
    for label, pts, is_baseline in lines:
        if not pts:
            continue
        style = dict(linewidth=1.0 if over_time else 1.6, label=label)
        if len(pts) == 1:
            style["marker"] = "o"
        if is_baseline:
            style.update(color="black", linestyle="--")
        ax.plot([p[0] for p in pts], [p[1] for p in pts], **style)
    if kind in ("jct-cdf", "queue-cdf"):
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
    elif kind == "utilization":
        ax.set_ylim(0, 1.05)
    else:
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
    if over_time:
        ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    topologies = sorted({text(obj(sched_details(r)).get("topology")) for r in recs} - {""})
    ax.set_title("Lab %s, %s: %s\n%s" % (lab or "?", group, what, "; ".join(topologies) or
                                         "topology not recorded"), fontsize=11)
    ax.grid(True, which="major", alpha=0.35)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_plot(plt, fig, plot_dir, stem)


# Lab 06 plots: Gantt charts of one step (stages top to bottom, time left to right), and bubble
# fraction and peak activation memory against the number of micro-batches.

# Compute ops: (legend label, colour). Ops of a later chunk (interleaved schedules) are drawn in a
# lighter shade of the same colour.
GANTT_COMPUTE = {
    "F": ("forward (F)", "#3b6ea8"),
    "B": ("backward (B)", "#d9822b"),
    "I": ("backward, input gradient (I)", "#c0392b"),
    "W": ("backward, weight gradient (W)", "#3f9a4d"),
    "OPT": ("optimizer step (OPT)", "#333333"),
}
GANTT_WAITS = ("RA", "RG")
GANTT_SENDS = ("SA", "SG")
GANTT_DPI = 110  # save_plot's PNG resolution: used to decide which bars have room for a label
GANTT_MAX_STAGES = 32  # more stages than this: no tick per stage, and the figure stops growing


def _lighter(colour, chunk):
    """colour mixed with white, more for later chunks (chunk 0: unchanged)."""
    if chunk <= 0:
        return colour
    mix = 1 - 0.55 ** min(chunk, 4)
    rgb = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join("%02x" % round(c + (255 - c) * mix) for c in rgb)


def timeline_rows(rec, field):
    """The rows of a record's timeline as (stage, op, micro-batch, chunk, start, end); [] if none.

    load_results has checked their shape."""
    rows = rec.get(field)
    if not isinstance(rows, list):
        return []
    return [(int(r[0]), r[1], int(num(r[2])), int(num(r[3])), num(r[4]), num(r[5])) for r in rows]


def draw_timeline(ax, rows, scale, px_per_unit, stages):
    """Draw one Gantt chart on ax: rows of timeline_rows, times multiplied by scale.

    Compute ops are bars coloured by kind (a lighter shade for later chunks) with the micro-batch
    number inside where px_per_unit (pixels per scaled time unit) leaves room for it; receives are
    light hatched bars (the stage waited for a message), sends thin grey ones, unknown op codes white
    with a grey edge. Returns {legend label: (facecolor, hatch, edgecolor)} of what was drawn."""
    bars = {}  # (face, hatch, edge, height) -> ([stage], [left], [width])
    legend = {}
    labels = []
    for stage, op, mb, chunk, start, end in rows:
        left, width = start * scale, max(0.0, end - start) * scale
        if op in GANTT_COMPUTE:
            name, colour = GANTT_COMPUTE[op]
            face = _lighter(colour, chunk)
            style = (face, "", "white", 0.76)
            legend[name + (", chunk %d" % chunk if chunk > 0 else "")] = (face, "", "white")
            if op != "OPT":
                labels.append((left + width / 2, stage, str(mb), width, chunk))
        elif op in GANTT_WAITS:
            style = ("#f1f1f1", "////", "#a8a8a8", 0.5)
            legend["waiting for a message (RA, RG)"] = style[:3]
        elif op in GANTT_SENDS:
            style = ("#9a9a9a", "", "#9a9a9a", 0.24)
            legend["sending (SA, SG)"] = style[:3]
        else:
            style = ("white", "", "#666666", 0.5)
            legend["other op (%s)" % op] = style[:3]
        s, l, w = bars.setdefault(style, ([], [], []))
        s.append(stage)
        l.append(left)
        w.append(width)
    for (face, hatch, edge, height), (s, l, w) in bars.items():
        ax.barh(s, w, left=l, height=height, color=face, hatch=hatch or None, edgecolor=edge,
                linewidth=0.4 if edge == "white" else 0.6)
    char_px = 7 * 0.62 * GANTT_DPI / 72  # width of one digit at fontsize 7
    for x, stage, label, width, chunk in labels:
        if width * px_per_unit >= len(label) * char_px + 3:
            ax.text(x, stage, label, ha="center", va="center", fontsize=7,
                    color="white" if chunk == 0 else "black")
    if stages <= GANTT_MAX_STAGES:
        ax.set_yticks(range(stages))
        ax.set_yticklabels(["stage %d" % s for s in range(stages)])
    else:
        ax.set_ylabel("stage")
    ax.set_ylim(stages - 0.5, -0.5)  # stage 0 at the top
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return legend


def _gantt_legend(ax, legends):
    """One legend for several panels: compute kinds in GANTT_COMPUTE order, then the rest."""
    import matplotlib.patches as mpatches
    merged = {}
    for legend in legends:
        for label, style in legend.items():
            merged.setdefault(label, style)
    order = [v[0] for v in GANTT_COMPUTE.values()]

    def rank(label):
        for k, name in enumerate(order):
            if label.startswith(name):
                return (k, label)
        return (len(order), label)

    handles = [mpatches.Patch(facecolor=face, hatch=hatch or None, edgecolor=edge, label=label)
               for label, (face, hatch, edge) in sorted(merged.items(), key=lambda kv: rank(kv[0]))]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              borderaxespad=0.0)


GANTT_WIDTH_IN = 12.5
GANTT_LEGEND_IN = 3.4  # room the legend at the right and the stage labels take from the axes


def make_pipeline_gantt(plt, key, rec, ctx, plot_dir, stem):
    """One step of a schedule run across ranks: the measured timeline above the simulated one
    (calibrated costs), on a common time axis in ms. Returns the two file names, or None when the
    record holds neither timeline."""
    lab, group = key
    panels = [("measured", timeline_rows(rec, "timeline_measured"), rec.get("bubble_measured")),
              ("simulated after calibration", timeline_rows(rec, "timeline_simulated"),
               rec.get("bubble_simulated"))]
    panels = [p for p in panels if p[1]]
    if not panels:
        return None
    stages = 1 + max(r[0] for _n, rows, _b in panels for r in rows)
    end_ms = max(r[5] for _n, rows, _b in panels for r in rows) * 1e3
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(GANTT_WIDTH_IN, 1.1 + len(panels) * (
                                 0.5 * min(stages, GANTT_MAX_STAGES) + 0.9)))
    axes = [a[0] for a in axes]
    px_per_ms = (GANTT_WIDTH_IN - GANTT_LEGEND_IN) * GANTT_DPI / (end_ms * 1.01 or 1)
    legends = []
    for ax, (name, rows, bubble) in zip(axes, panels):
        legends.append(draw_timeline(ax, rows, 1e3, px_per_ms, stages))
        step_ms = max(r[5] for r in rows) * 1e3
        title = "%s: step %.2f ms" % (name, step_ms)
        if num(bubble) is not None:
            title += ", bubble %.3f" % num(bubble)
        ax.set_title(title, fontsize=10, loc="left")
    axes[0].set_xlim(0, end_ms * 1.01)
    axes[-1].set_xlabel("time since the step started (ms)")
    _gantt_legend(axes[0], legends)
    fig.suptitle("Lab %s, %s: %s, one step on %d stage%s" % (
        lab or "?", group, text(rec.get("case")) or pipeline_schedule(rec), stages,
        "" if stages == 1 else "s"), fontsize=11)
    return save_plot(plt, fig, plot_dir, stem)


def make_sim_gantt(plt, key, recs, ctx, plot_dir, stem):
    """The unit-cost simulated timelines of several schedules at one m, one panel per schedule on a
    common time axis. recs: the simulated records holding timeline_simulated."""
    lab, group = key
    panels = [(r, timeline_rows(r, "timeline_simulated")) for r in recs]
    panels = [(r, rows) for r, rows in panels if rows]
    if not panels:
        return None
    stages = 1 + max(row[0] for _r, rows in panels for row in rows)
    end = max(row[5] for _r, rows in panels for row in rows)
    fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                             figsize=(GANTT_WIDTH_IN, 1.0 + len(panels) * (
                                 0.42 * min(stages, GANTT_MAX_STAGES) + 0.75)))
    axes = [a[0] for a in axes]
    px_per_unit = (GANTT_WIDTH_IN - GANTT_LEGEND_IN) * GANTT_DPI / (end * 1.01 or 1)
    legends = []
    for ax, (rec, rows) in zip(axes, panels):
        legends.append(draw_timeline(ax, rows, 1.0, px_per_unit, stages))
        title = "%s: makespan %s" % (pipeline_schedule(rec), fmt_num(max(r[5] for r in rows)))
        if num(rec.get("bubble_fraction")) is not None:
            title += ", bubble %.3f" % num(rec.get("bubble_fraction"))
            if num(rec.get("bubble_theory")) is not None:
                title += " (textbook %.3f)" % num(rec.get("bubble_theory"))
        ax.set_title(title, fontsize=10, loc="left")
    axes[0].set_xlim(0, end * 1.01)
    axes[-1].set_xlabel("time (unit costs: F = I = W = 1 per stage)")
    _gantt_legend(axes[0], legends)
    m = sim_m(panels[0][0])
    fig.suptitle("Lab %s, %s: simulated schedules at m = %s micro-batches" % (
        lab or "?", group, fmt_num(m) if m is not None else "?"), fontsize=11)
    return save_plot(plt, fig, plot_dir, stem)


def make_sim_plot(plt, kind, key, recs, ctx, plot_dir, stem):
    """kind "bubble": simulated bubble fraction against m per schedule (solid, markers) with the
    textbook formula (dashed, same colour); kind "memory": peak activation memory as a fraction of
    the batch's against m. Log2 x axis with integer ticks. Returns the file names, or None when no
    record has the values."""
    lab, group = key
    field = "bubble_fraction" if kind == "bubble" else "peak_activation_fraction"
    series = {}
    for rec in recs:
        m, v = sim_m(rec), num(rec.get(field))
        if m is None or m <= 0 or v is None:
            continue
        series.setdefault(pipeline_schedule(rec), []).append((m, v, num(rec.get("bubble_theory"))))
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    markers = "osD^v<>ph*"
    # Schedules often coincide (GPipe and 1F1B have the same bubble): later ones get thinner lines
    # and smaller markers, so the earlier ones still show around them. The textbook lines are drawn
    # on top.
    for idx, (name, pts) in enumerate(series.items()):
        pts.sort()
        colour = "C%d" % (idx % 10)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=markers[idx % len(markers)],
                markersize=max(3.5, 9.5 - 1.8 * idx), linewidth=max(1.2, 3.4 - 0.8 * idx),
                color=colour, label=name + (" (simulated)" if kind == "bubble" else ""))
        theory = [(p[0], p[2]) for p in pts if p[2] is not None]
        if kind == "bubble" and theory:
            ax.plot([p[0] for p in theory], [p[1] for p in theory], linestyle="--", linewidth=1.2,
                    color=colour, zorder=3, label=name + " (textbook)")
    ax.set_xscale("log", base=2)
    xs = sorted({p[0] for pts in series.values() for p in pts})
    if len(xs) <= 16:
        ax.set_xticks(xs)
        ax.set_xticklabels([fmt_num(x) for x in xs])
        ax.minorticks_off()
    ax.set_xlabel("micro-batches per step m (log2 scale)")
    stages = sorted({text(obj(r.get("shape")).get("stages")) for r in recs} - {""})
    setup = "p = %s stages, unit costs" % "/".join(stages) if stages else "unit costs"
    if kind == "bubble":
        ax.set_ylabel("bubble fraction (idle / (stages × makespan))")
        ax.set_ylim(bottom=0)
        what = "bubble fraction against m, simulated (solid) and textbook (dashed)"
    else:
        ax.set_ylabel("peak activation memory (fraction of the batch's)")
        ax.set_ylim(0, 1.05)
        what = "peak activation memory of a stage against m"
    ax.set_title("Lab %s, %s: %s\n%s" % (lab or "?", group, what, setup), fontsize=11)
    ax.grid(True, which="major", alpha=0.35)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_plot(plt, fig, plot_dir, stem)


# Lab 02 plots: per pass, GFLOP/s per convolution layer as grouped bars (im2col + GEMM against
# oneDNN) with the measured single-thread FMA peak; and the training curves of a training run.

CONV_CANDIDATE = "im2col + GEMM"
MOVING_AVERAGE_STEPS = 50


def conv_groups(records, ctx):
    """{(lab, group, threads): [convolution-layer records with a rate or a baseline rate]}."""
    groups = {}
    for rec in records:
        if not is_conv_layer(rec):
            continue
        value, base = rate_of(rec)[0], rate_of(obj(rec.get("baseline")))[0]
        if (value is None or value <= 0) and (base is None or base <= 0):
            continue
        key = (record_lab(rec, ctx), text(rec.get("group")) or "(no group)", threads_of(rec))
        groups.setdefault(key, []).append(rec)
    return groups


def conv_layer_name(rec):
    return text(obj(rec.get("shape")).get("layer")) or text(rec.get("case")) or "(unnamed layer)"


def conv_unit(recs):
    """The unit of a group's rates (the candidates', else the baseline's)."""
    units = [rate_of(r)[1] for r in recs] + [rate_of(obj(r.get("baseline")))[1] for r in recs]
    return next((u for u in units if u), "")


def conv_peak(ctx, key, recs):
    """The single-thread FP32 FMA peak to draw over a group's bars: the value of
    context.ceilings.fp32_peak_gflops_1thread when the records ran on one thread and their rates are
    GFLOP/s; else None."""
    peak = num(obj(obj(obj(ctx.get("ceilings")).get("fp32_peak_gflops_1thread"))).get("value"))
    if peak is None or peak <= 0 or key[2] != 1 or conv_unit(recs) != "GFLOP/s":
        return None
    return peak


def make_conv_plot(plt, key, recs, ctx, plot_dir, stem):
    """Grouped bars of GFLOP/s per layer, one bar per candidate (part and impl) and one for the
    baseline (median per layer), layers in x order, with the measured single-thread FP32 FMA peak
    (context.ceilings.fp32_peak_gflops_1thread) as a horizontal line when the records ran on one
    thread and the context has it. Returns the two file names."""
    lab, group, threads = key
    order = {}
    for idx, rec in enumerate(recs):
        x = num(rec.get("x"))
        name = conv_layer_name(rec)
        order[name] = min(order.get(name, (math.inf, idx)), (x if x is not None else math.inf, idx))
    layers = sorted(order, key=lambda n: order[n])
    parts = {text(r.get("part")) for r in recs}
    cands, bases = {}, {}
    for rec in recs:
        label = CONV_CANDIDATE + (" " + text(rec.get("part")) if len(parts) > 1 else "")
        if text(rec.get("impl")):
            label += " (%s)" % text(rec.get("impl"))
        value = rate_of(rec)[0]
        if value is not None and value > 0:
            cands.setdefault(label, {}).setdefault(conv_layer_name(rec), []).append(value)
        b = rate_of(obj(rec.get("baseline")))[0]
        if b is not None and b > 0:
            bases.setdefault(conv_layer_name(rec), []).append(b)
    series = [(label, {n: _median(v) for n, v in per.items()}, "C%d" % (k % 10))
              for k, (label, per) in enumerate(cands.items())]
    if bases:
        names = sorted({text(obj(r.get("baseline")).get("name")) for r in recs} - {""})
        series.append(((", ".join(names) or "baseline") + " (baseline)" +
                       (", median per layer" if len(cands) > 1 else ""),
                       {n: _median(v) for n, v in bases.items()}, "#555555"))
    unit = conv_unit(recs)

    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    width = 0.8 / len(series)
    top = 0.0
    for k, (label, values, colour) in enumerate(series):
        xs = [j - 0.4 + width * (k + 0.5) for j, n in enumerate(layers) if n in values]
        ys = [values[n] for n in layers if n in values]
        ax.bar(xs, ys, width=width * 0.92, color=colour, label=label)
        for x, y in zip(xs, ys):
            ax.text(x, y, fmt_num(y, 3), ha="center", va="bottom", fontsize=7)
        top = max([top] + ys)
    peak = conv_peak(ctx, key, recs)
    if peak is not None:
        origin = ceiling_origin(obj(ctx.get("ceilings"))["fp32_peak_gflops_1thread"])
        ax.axhline(peak, color="red", linestyle=":", linewidth=2.0,
                   label="single-thread FP32 FMA peak (%s): %s GFLOP/s" % (
                       origin if origin != "not stated" else "origin not stated", fmt_num(peak)))
        top = max(top, peak)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(layers, rotation=20, ha="right")
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(0, (top or 1) * 1.1)
    ax.set_xlabel("layer (resnet-RxS[sSTRIDE]-cC-H: kernel, stride, input channels, input "
                  "height = width)")
    ax.set_ylabel("rate (%s)" % (unit or "unit not recorded"))
    cpu = text(obj(ctx.get("cpu")).get("model")) or "unknown CPU"
    ax.set_title("Lab %s, %s, %s thread%s: rate per layer\n%s" % (
        lab or "?", group, text(threads) or "?", "" if threads == 1 else "s", cpu), fontsize=11)
    ax.grid(True, axis="y", alpha=0.35)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return save_plot(plt, fig, plot_dir, stem)


def training_curves(rec):
    """[(label, curve)] of a training record: the candidate's curve, then the baseline's."""
    details = obj(rec.get("details"))
    base = text(obj(rec.get("baseline")).get("name"))
    out = []
    for model, role in TRAIN_MODELS:
        curve = details.get(model)
        if isinstance(curve, dict):
            name = base if role == "baseline" and base and base.startswith(model) else model
            out.append(("%s (%s)" % (name, role), curve))
    return out


def curve_points(curve, xs, ys):
    """[(x, y)] of one curve's lists xs and ys (load_results has checked their lengths); null y
    values are left out."""
    pts = []
    for x, y in zip(curve.get(xs) or [], curve.get(ys) or []):
        if num(x) is not None and num(y) is not None:
            pts.append((num(x), num(y)))
    return pts


def moving_average(pts, window):
    """The mean of the `window` values centred on each point (fewer at the two ends), so that the
    smoothed curve does not lag behind the raw one."""
    prefix = [0.0]
    for _x, y in pts:
        prefix.append(prefix[-1] + y)
    out = []
    for j, (x, _y) in enumerate(pts):
        lo, hi = max(0, j - window // 2), min(len(pts), j - window // 2 + window)
        out.append((x, (prefix[hi] - prefix[lo]) / (hi - lo)))
    return out


def final_accuracy(curve):
    """A curve's final test accuracy: final_test_accuracy, else its last test_accuracy value."""
    v = num(curve.get("final_test_accuracy"))
    if v is None:
        pts = curve_points(curve, "eval_step", "test_accuracy")
        v = pts[-1][1] if pts else None
    return v


def training_setup(rec):
    """'batch 64, adam, lr 0.001' from a training record's details ('' when none is recorded)."""
    d = obj(rec.get("details"))
    bits = []
    if num(d.get("batch_size")) is not None:
        bits.append("batch %s" % fmt_count(d.get("batch_size")))
    if text(d.get("optimizer")):
        bits.append(text(d.get("optimizer")))
    if num(d.get("lr")) is not None:
        bits.append("lr %s" % fmt_num(d.get("lr")))
    return ", ".join(bits)


def training_summary(rec):
    """'cnn (candidate) 0.900 in 55.2 s, ...': each model's final test accuracy and seconds."""
    bits = []
    for label, curve in training_curves(rec):
        acc, secs = final_accuracy(curve), num(curve.get("seconds"))
        if acc is None and secs is None:
            continue
        bits.append("%s %s%s" % (label, "%.3f" % acc if acc is not None else "(no accuracy)",
                                 " in %s" % fmt_duration(secs) if secs is not None else ""))
    return ", ".join(bits)


def make_training_plot(plt, key, rec, ctx, plot_dir, stem):
    """Two panels: training loss against step (the moving average over MOVING_AVERAGE_STEPS steps
    centred on each step, the raw per-step loss faint behind it) and test accuracy against step, one
    colour per model. Returns the two file names, or None when no curve has any points."""
    lab, _group = key
    curves = [(label, curve_points(c, "step", "loss"),
               curve_points(c, "eval_step", "test_accuracy"), c)
              for label, c in training_curves(rec)]
    if not any(loss or acc for _l, loss, acc, _c in curves):
        return None
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    for k, (label, loss, acc, curve) in enumerate(curves):
        colour = "C%d" % (k % 10)
        if loss:
            ax_loss.plot([p[0] for p in loss], [p[1] for p in loss], color=colour, alpha=0.22,
                         linewidth=0.7)
            avg = moving_average(loss, MOVING_AVERAGE_STEPS)
            ax_loss.plot([p[0] for p in avg], [p[1] for p in avg], color=colour, linewidth=1.8,
                         label=label)
        if acc:
            final = final_accuracy(curve)
            ax_acc.plot([p[0] for p in acc], [p[1] for p in acc], "-o", color=colour,
                        markersize=4, linewidth=1.6,
                        label=label + (": final %.3f" % final if final is not None else ""))
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("training loss (moving average over %d steps)" % MOVING_AVERAGE_STEPS)
    ax_loss.set_ylim(bottom=0)
    ax_loss.set_title("training loss", fontsize=10, loc="left")
    ax_acc.set_xlabel("training step")
    ax_acc.set_ylabel("test accuracy")
    ax_acc.set_title("test accuracy", fontsize=10, loc="left")
    for ax in (ax_loss, ax_acc):
        ax.set_xlim(left=0)
        ax.grid(True, alpha=0.35)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8.5, loc="best")
    setup = training_setup(rec)
    fig.suptitle("Lab %s, %s%s" % (lab or "?", text(rec.get("case")) or "training",
                                   ": " + setup if setup else ""), fontsize=11)
    return save_plot(plt, fig, plot_dir, stem)


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
div.wide { overflow-x: auto; } div.wide table { margin-top: 0; }
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

    def claim_stem(stem):
        """stem, or stem-2, stem-3, ... when an earlier plot already has that name."""
        base_stem, n = stem, 2
        while stem in used_stems:
            stem, n = "%s-%d" % (base_stem, n), n + 1
        used_stems.add(stem)
        return stem

    def add_figure(files, cap):
        """Show plot files (png, svg) with caption cap in the page and in summary.md."""
        png, svg = files
        body.append('<figure><img src="plots/%s" alt="%s"><figcaption>%s. '
                    '<a href="plots/%s">PNG</a> · <a href="plots/%s">SVG</a></figcaption>'
                    '</figure>' % (e(png), e(cap), e(cap), e(png), e(svg)))
        md.append("![%s](plots/%s) ([SVG](plots/%s))" % (cap, png, svg))
        md.append("")

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
        convs = conv_groups(records, ctx)
        if groups or convs:
            body.append("<h3>Plots</h3>")
            md += ["### Plots", ""]
        # In the order of the records: rate against x per (lab, group, threads), and for lab 02's
        # convolution layers, GFLOP/s per layer as bars instead
        first = {id(r): n for n, r in enumerate(records)}
        plots = sorted([(first[id(recs[0])], "rate", key, recs) for key, recs in groups.items()] +
                       [(first[id(recs[0])], "conv", key, recs) for key, recs in convs.items()],
                       key=lambda p: p[0])
        for _n, kind, key, recs in plots:
            if kind == "conv":
                lab, group, threads = key
                stem = claim_stem(slug("%d-lab%s-%s-t%s-layers" % (i, lab, group, text(threads))))
                files = make_conv_plot(plt, key, recs, ctx, plot_dir, stem)
                bases = sorted({text(obj(r.get("baseline")).get("name")) for r in recs} - {""})
                cap = "Lab %s, group %s, %s thread(s): rate per layer, %s against %s" % (
                    lab, group, text(threads), CONV_CANDIDATE, ", ".join(bases) or "the baseline")
                if conv_peak(ctx, key, recs) is not None:
                    cap += "; dotted red line: the single-thread FP32 FMA peak"
                add_figure(files, cap)
                continue
            lab, group, threads, unit = key
            stem = claim_stem(slug("%d-lab%s-%s-t%s" % (i, lab, group, text(threads))))
            png, svg = make_plot(plt, key, recs, ctx, plot_dir, stem)
            cap = "Lab %s, group %s, %s thread(s): rate against %s" % (
                lab, group, text(threads), (text(recs[0].get("x_label")) or "size"))
            body.append('<figure><img src="plots/%s" alt="%s"><figcaption>%s. '
                        '<a href="plots/%s">PNG</a> · <a href="plots/%s">SVG</a></figcaption>'
                        '</figure>' % (e(png), e(cap), e(cap), e(png), e(svg)))
            md += ["![%s](plots/%s) ([SVG](plots/%s))" % (cap, png, svg), ""]

        # Records with a model's prediction (lab 05's alpha-beta model): measured against predicted
        for key, recs in model_groups(records, ctx).items():
            lab, group = key
            stem = claim_stem(slug("%d-lab%s-%s-model" % (i, lab, group)))
            png, svg = make_model_plot(plt, key, recs, ctx, plot_dir, stem)
            cap = ("Lab %s, group %s: time per operation measured (solid) and predicted by the "
                   "alpha-beta model (dashed); dotted lines where the fastest algorithm changes"
                   % (lab, group))
            body.append('<figure><img src="plots/%s" alt="%s"><figcaption>%s. '
                        '<a href="plots/%s">PNG</a> · <a href="plots/%s">SVG</a></figcaption>'
                        '</figure>' % (e(png), e(cap), e(cap), e(png), e(svg)))
            md += ["![%s](plots/%s) ([SVG](plots/%s))" % (cap, png, svg), ""]

        # Lab 02 (autograd): the framework's overhead in a training step, and training curves
        profiles = profile_records(records)
        trainings = [r for r in records if is_training(r) and is_metric(r)]
        for r in profiles:
            lab = record_lab(r, ctx)
            heading = "Lab %s: framework overhead (%s)" % (lab, text(r.get("case")) or "step")
            rows = profile_rows(r)
            body.append("<h3>%s</h3>" % e(heading))
            md += ["### " + heading, ""]
            if rows:
                body.append(html_table(PROFILE_HEADERS, rows, numeric_from=1))
                md += [md_table(PROFILE_HEADERS, rows), ""]
            note = profile_note(r, records)
            body.append('<p class="note">%s</p>' % e(note))
            md += [note, ""]
        for r in trainings:
            lab, case = record_lab(r, ctx), text(r.get("case")) or "training"
            heading = "Lab %s: training curves (%s)" % (lab, case)
            body.append("<h3>%s</h3>" % e(heading))
            md += ["### " + heading, ""]
            stem = claim_stem(slug("%d-lab%s-%s-curves" % (i, lab, case)))
            files = make_training_plot(plt, (lab, text(r.get("group"))), r, ctx, plot_dir, stem)
            summary, setup = training_summary(r), training_setup(r)
            cap = ("Lab %s, %s: training loss against step (moving average over %d steps "
                   "centred on each step, the raw per-step loss faint behind it) and test "
                   "accuracy against step, per model" % (lab, case, MOVING_AVERAGE_STEPS))
            line = "Final test accuracy: %s" % summary if summary else ""
            if setup:
                line += ("; " if line else "") + setup
            if files is not None:
                add_figure(files, cap + (". " + line if line else ""))
            elif line:
                body.append('<p class="note">%s.</p>' % e(line))
                md += [line + ".", ""]

        # Lab 08 (cluster scheduling): a policy table and four plots per group, from the details
        for key, recs in sched_groups(records, ctx).items():
            lab, group = key
            rows = sched_rows(recs)
            heading = "Lab %s: policy table (%s)" % (lab, group)
            body.append("<h3>%s</h3>" % e(heading))
            body.append('<div class="wide">' + html_table(SCHED_HEADERS, rows, numeric_from=1) +
                        "</div>")
            md += ["### " + heading, "", md_table(SCHED_HEADERS, rows), ""]
            setup = []
            for field, label in (("trace", "Trace"), ("topology", "Topology")):
                values = []
                for r in recs:
                    v = text(sched_details(r).get(field))
                    if v and v not in values:
                        values.append(v)
                if values:
                    setup.append("%s: %s" % (label if not setup else label.lower(),
                                             " | ".join(values)))
            note = ("; ".join(setup) + ". " if setup else "") + SCHED_NOTE
            body.append('<p class="note">%s</p>' % e(note))
            md += [note, ""]
            body.append("<h3>%s</h3>" % e("Lab %s: plots (%s)" % (lab, group)))
            md += ["### Lab %s: plots (%s)" % (lab, group), ""]
            for kind, what in SCHED_PLOTS:
                stem = claim_stem(slug("%d-lab%s-%s-%s" % (i, lab, group, kind)))
                files = make_sched_plot(plt, kind, key, recs, ctx, plot_dir, stem)
                if files is None:
                    continue
                png, svg = files
                cap = "Lab %s, group %s: %s; FIFO baseline dashed" % (lab, group, what)
                body.append('<figure><img src="plots/%s" alt="%s"><figcaption>%s. '
                            '<a href="plots/%s">PNG</a> · <a href="plots/%s">SVG</a></figcaption>'
                            '</figure>' % (e(png), e(cap), e(cap), e(png), e(svg)))
                md += ["![%s](plots/%s) ([SVG](plots/%s))" % (cap, png, svg), ""]

        # Lab 06 (pipeline-parallel scheduling): runtime table and Gantt charts; simulated-only
        # records' bubble and memory tables, plots and unit-cost Gantt charts
        pipe = pipeline_groups(records, ctx)
        if pipe:
            body.append("<h3>Pipeline schedules</h3>")
            md += ["### Pipeline schedules", ""]
        for key, recs in pipe.items():
            lab, group = key
            runs = [r for r in recs if not is_pipeline_sim(r)]
            sims = [r for r in recs if is_pipeline_sim(r)]
            if runs:
                heading = "Lab %s, %s: schedules run across ranks" % (lab, group)
                headers, rows = pipeline_headers(runs), [pipeline_row(r) for r in runs]
                body.append("<h4>%s</h4>" % e(heading))
                body.append(html_table(headers, rows, numeric_from=1))
                md += ["#### " + heading, "", md_table(headers, rows), ""]
                body.append('<p class="note">%s</p>' % e(PIPELINE_NOTE))
                md += [PIPELINE_NOTE, ""]
                for r in runs:
                    stem = claim_stem(slug("%d-lab%s-%s-gantt" % (i, lab, text(r.get("case")) or
                                                               pipeline_schedule(r))))
                    files = make_pipeline_gantt(plt, key, r, ctx, plot_dir, stem)
                    if files is None:
                        continue
                    cap = ("Lab %s, %s: one step of %s, measured (top) and simulated with the "
                           "calibrated costs (bottom); hatched: waiting for a message; lighter "
                           "shades: later chunks" % (lab, group, text(r.get("case")) or
                                                     pipeline_schedule(r)))
                    add_figure(files, cap)
            if sims:
                heading = "Lab %s, %s: schedules simulated with unit costs" % (lab, group)
                body.append("<h4>%s</h4>" % e(heading))
                md += ["#### " + heading, ""]
                for what, (headers, rows) in (("Bubble fraction, simulated (textbook)",
                                               bubble_table(sims)),
                                              ("Peak activation memory, fraction of the batch's "
                                               "(peak (micro-batch, chunk) count)",
                                               memory_table(sims))):
                    if not rows:
                        continue
                    body.append('<p class="note">%s:</p>' % e(what))
                    body.append(html_table(headers, rows, numeric_from=1))
                    md += [what + ":", "", md_table(headers, rows), ""]
                note = PIPELINE_SIM_NOTE + " " + PIPELINE_MEMORY_NOTE
                body.append('<p class="note">%s</p>' % e(note))
                md += [note, ""]
                for kind, what in (("bubble", "bubble fraction against micro-batches m per "
                                              "schedule, simulated (solid) and textbook (dashed, "
                                              "on the solid line where they agree)"),
                                   ("memory", "peak activation memory of a stage (fraction of the "
                                              "batch's activations) against micro-batches m")):
                    stem = claim_stem(slug("%d-lab%s-%s-%s" % (i, lab, group, kind)))
                    files = make_sim_plot(plt, kind, key, sims, ctx, plot_dir, stem)
                    if files is not None:
                        add_figure(files, "Lab %s, %s: %s" % (lab, group, what))
                by_m = {}
                for r in sims:
                    if timeline_rows(r, "timeline_simulated") and sim_m(r) is not None:
                        by_m.setdefault(sim_m(r), []).append(r)
                for m, mrecs in sorted(by_m.items()):
                    stem = claim_stem(slug("%d-lab%s-%s-gantt-m%s" % (i, lab, group, fmt_num(m))))
                    files = make_sim_gantt(plt, key, mrecs, ctx, plot_dir, stem)
                    if files is not None:
                        add_figure(files, "Lab %s, %s: simulated timelines at m = %s with unit "
                                   "costs, one panel per schedule; hatched: waiting for a message"
                                   % (lab, group, fmt_num(m)))

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
