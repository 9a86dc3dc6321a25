#!/usr/bin/env python3
# AISys Labs: unit tests of the report generator (make_report.py) and the handout table generator
# (handout_table.py), run on the fixtures in reports/tests/fixtures/.
#
# Run: /usr/bin/python3 reports/tests/test_reports.py   (an interpreter that imports matplotlib;
# CTest runs it as reports.unit with AISYS_PYTHON). The scripts run as separate processes, the way
# `aisys report` calls them, so exit codes and stderr are tested as users see them.

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.dirname(HERE)
FIX = os.path.join(HERE, "fixtures")
MAKE_REPORT = os.path.join(REPORTS, "make_report.py")
HANDOUT = os.path.join(REPORTS, "handout_table.py")

CPU = os.path.join(FIX, "cpu-lab01.json")
GPU = os.path.join(FIX, "gpu-metrics.json")
BROKEN = os.path.join(FIX, "broken-not-json.json")
WRONG_SCHEMA = os.path.join(FIX, "wrong-schema.json")
README = os.path.join(FIX, "README-lab01.md")
LAB08 = os.path.join(FIX, "lab08-sched.json")
LAB06 = os.path.join(FIX, "lab06-pipeline.json")
LAB02 = os.path.join(FIX, "lab02-autograd.json")


def run(script, *args):
    return subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True,
                          timeout=300)


def snapshot(folder):
    """{relative path: bytes} of every file under folder."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = fh.read()
    return out


class MakeReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aisys-report-test-")
        cls.out = os.path.join(cls.tmp, "report")
        cls.proc = run(MAKE_REPORT, "--out", cls.out, "--title", "Fixture <report> & co", CPU, GPU)
        with open(CPU) as f:
            cls.cpu = json.load(f)
        with open(GPU) as f:
            cls.gpu = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def test_exit_code_and_files(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        for name in ("index.html", "summary.md", "results.json"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        plots = os.listdir(os.path.join(self.out, "plots"))
        pngs = [p for p in plots if p.endswith(".png")]
        svgs = [p for p in plots if p.endswith(".svg")]
        # CPU file: square and llm-k4096 at 1 and 2 threads; GPU file: square at 1 thread.
        self.assertEqual(len(pngs), 5, plots)
        self.assertEqual(sorted(p[:-4] for p in pngs), sorted(p[:-4] for p in svgs))
        for p in pngs:
            with open(os.path.join(self.out, "plots", p), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", p)
        for p in svgs:
            with open(os.path.join(self.out, "plots", p), encoding="utf-8") as f:
                self.assertIn("<svg", f.read(), p)
        # No temporary folders are left beside the report.
        self.assertEqual(os.listdir(self.tmp), ["report"])

    def test_index_html_content(self):
        page = self.read("index.html")
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn("AMD EPYC 9B45", page)
        self.assertIn("NVIDIA H100 80GB HBM3", page)
        self.assertIn("Cooperlake", page)
        self.assertIn("0.3.21", page)
        self.assertIn("measured: 12 independent vfmadd chains", page)
        self.assertIn("datasheet: DDR5-4800", page)
        self.assertNotIn("<script", page.lower())
        self.assertNotIn("http://", page)
        self.assertNotIn("https://", page)
        for rec in self.cpu["records"] + self.gpu["records"]:
            self.assertIn(">%s<" % html.escape(rec["case"]), page, rec["case"])
        # Every plot is shown inline as PNG and linked as SVG, and exists.
        for p in os.listdir(os.path.join(self.out, "plots")):
            if p.endswith(".png"):
                self.assertIn('<img src="plots/%s"' % p, page)
            else:
                self.assertIn('href="plots/%s"' % p, page)
        # The title is escaped.
        self.assertIn("Fixture &lt;report&gt; &amp; co", page)
        self.assertNotIn("Fixture <report>", page)

    def test_tables(self):
        page = self.read("index.html")
        md = self.read("summary.md")
        # cpu/microkernel/1024 (reference): ratio 0.843, spread 0.04 -> "0.84 ± 0.02".
        rec = next(r for r in self.cpu["records"]
                   if r["case"] == "cpu/microkernel/1024" and r["impl"] == "reference")
        self.assertEqual(rec["ratio_to_baseline"], 0.843)
        self.assertEqual(rec["spread"], 0.04)
        row = next(line for line in md.splitlines()
                   if line.startswith("| cpu/microkernel/1024 | cpu/microkernel | reference |"))
        self.assertIn("| 0.84 ± 0.02 |", row)
        self.assertIn("| 178.6 GFLOP/s |", row)
        self.assertIn("| 211.7 GFLOP/s |", row)
        self.assertIn("| 0.70 | compute |", row)
        self.assertIn("0.84 ± 0.02", page)
        self.assertIn("ratio to baseline ± IQR/2", page)
        # Metric records: their own table with name, value, unit, better, baseline value, ratio.
        self.assertIn("Metric records", page)
        row = next(line for line in md.splitlines() if line.startswith("| sched/tiresias/"))
        for cell in ("avg_jct", "12.3", "| s |", "lower", "fifo", "30.1", "2.45"):
            self.assertIn(cell, row)
        # The record with fields missing still appears, with its time.
        row = next(line for line in md.splitlines() if "cpu/blocked/odd-1000x999x1001" in line)
        self.assertIn("27.1 ms", row)

    def test_results_json_merges_everything(self):
        merged = json.loads(self.read("results.json"))
        self.assertEqual(merged["schema"], "aisys.results/1")
        self.assertEqual(len(merged["records"]),
                         len(self.cpu["records"]) + len(self.gpu["records"]))
        self.assertEqual([s["file"] for s in merged["sources"]],
                         ["cpu-lab01.json", "gpu-metrics.json"])
        self.assertEqual(merged["sources"][0]["context"]["cpu"]["model"], "AMD EPYC 9B45")
        self.assertEqual({r["source"] for r in merged["records"]}, {0, 1})
        # The archive is itself a valid input.
        out2 = os.path.join(self.tmp, "from-archive")
        try:
            proc = run(MAKE_REPORT, "--out", out2, os.path.join(self.out, "results.json"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
        finally:
            shutil.rmtree(out2, ignore_errors=True)

    def test_rerun_replaces_report(self):
        out = os.path.join(self.tmp, "rerun")
        try:
            self.assertEqual(run(MAKE_REPORT, "--out", out, CPU, GPU).returncode, 0)
            proc = run(MAKE_REPORT, "--out", out, GPU)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertNotIn("AMD EPYC 9B45", page)
            self.assertIn("Intel Xeon Platinum 8480+", page)
            self.assertEqual(len([p for p in os.listdir(os.path.join(out, "plots"))
                                  if p.endswith(".png")]), 1)
        finally:
            shutil.rmtree(out, ignore_errors=True)


class Lab08ReportTest(unittest.TestCase):
    """Lab 08 (cluster scheduling) records: the policy table and the four plots from details."""

    PLOTS = ("jct-cdf", "queue-cdf", "utilization", "pending")

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aisys-report-lab08-")
        cls.out = os.path.join(cls.tmp, "report")
        cls.proc = run(MAKE_REPORT, "--out", cls.out, LAB08)
        with open(LAB08) as f:
            cls.lab08 = json.load(f)
        cls.sched = [r for r in cls.lab08["records"] if "candidate" in r.get("details", {})]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def test_fixture_renders(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")
        # The fixture holds two policies of the philly2048 group and one graded record.
        self.assertEqual([r["details"]["candidate"]["policy"] for r in self.sched],
                         ["sjf", "tiresias-las"])
        self.assertTrue(any(r["group"] == "graded" for r in self.lab08["records"]))

    def test_plot_files(self):
        plots = sorted(os.listdir(os.path.join(self.out, "plots")))
        expected = sorted("1-lab08-philly2048-%s.%s" % (kind, ext)
                          for kind in self.PLOTS for ext in ("png", "svg"))
        self.assertEqual(plots, expected)  # metric records get no rate plot
        page = self.read("index.html")
        md = self.read("summary.md")
        for kind in self.PLOTS:
            stem = "1-lab08-philly2048-%s" % kind
            with open(os.path.join(self.out, "plots", stem + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", stem)
            with open(os.path.join(self.out, "plots", stem + ".svg"), encoding="utf-8") as f:
                svg = f.read()
            self.assertIn("<svg", svg, stem)
            # One legend entry per policy and the baseline.
            for name in ("sjf", "tiresias-las", "fifo (baseline)"):
                self.assertIn(name, svg, (stem, name))
            self.assertIn('<img src="plots/%s.png"' % stem, page)
            self.assertIn('href="plots/%s.svg"' % stem, page)
            self.assertIn("(plots/%s.png)" % stem, md)

    def policy_table(self):
        page = self.read("index.html")
        self.assertIn("<h3>Lab 08: policy table (philly2048)</h3>", page)
        table = page.split("<h3>Lab 08: policy table (philly2048)</h3>", 1)[1].split("</table>")[0]
        table = table.split("<tbody>", 1)[1]
        return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
                for row in re.findall(r"<tr>(.*?)</tr>", table)]

    def test_policy_table(self):
        rows = self.policy_table()
        self.assertEqual([r[0] for r in rows], ["sjf", "tiresias-las", "fifo (baseline)"])
        page = self.read("index.html")
        for header in ("avg JCT (h)", "p99 JCT (h)", "avg queuing delay", "makespan (days)",
                       "throughput (jobs/h)", "utilisation", "fragmentation", "Jain&#x27;s fairness",
                       "FTF mean", "FTF max", "SLA misses", "cross-node / fits in node",
                       "preemptions", "events/s", "wall (s)", "ratio to fifo ± IQR/2"):
            self.assertIn("<th>%s</th>" % header, page)
        sjf, las, fifo = rows
        m = self.sched[0]["details"]["candidate"]
        self.assertEqual(sjf[1], "avg_jct 28234 s")   # the record's scored metric
        self.assertEqual(sjf[2], "8.18 ± 0.00")       # its ratio to FIFO ± IQR/2
        self.assertEqual(sjf[3], "100000")
        self.assertEqual(sjf[4], "%.2f" % (m["avg_jct_s"] / 3600))
        self.assertEqual(sjf[7], "%.2f" % (m["p99_jct_s"] / 3600))
        self.assertEqual(sjf[8], "2.15 h")            # 7736.7 s
        self.assertEqual(las[8], "22.9 s")
        self.assertEqual(fifo[8], "2.44 d")
        self.assertEqual(sjf[17], "%d / %d" % (m["cross_node_jobs"], m["fits_in_node_jobs"]))
        self.assertEqual(las[18], "205357")           # preemptions
        # The baseline row has metrics but no scored metric or ratio of its own.
        self.assertEqual(fifo[1:3], ["", ""])
        base = self.sched[0]["details"]["baseline"]
        self.assertEqual(fifo[4], "%.2f" % (base["avg_jct_s"] / 3600))
        self.assertEqual(fifo[16], str(base["sla_misses_total"]))
        # Trace and topology are named under the table; Markdown has the same table.
        self.assertIn("32x8x2x2x2 (2048 GPUs, 8 per node)", page)
        md = self.read("summary.md")
        self.assertIn("### Lab 08: policy table (philly2048)", md)
        self.assertIn("| fifo (baseline) |  |  | 100000 |", md)

    def test_ratio_table_lists_every_record(self):
        md = self.read("summary.md")
        metric = md.split("### Metric records", 1)[1]
        for rec in self.lab08["records"]:
            self.assertIn("| %s |" % rec["case"], metric)
        row = next(l for l in metric.splitlines() if l.startswith("| graded/srtf/avg_jct |"))
        self.assertIn("| 1.91 ± 0.06 |", row)
        row = next(l for l in metric.splitlines() if l.startswith("| philly2048/sjf |"))
        self.assertIn("| 8.18 ± 0.00 |", row)
        self.assertNotIn("Timed records", md)
        # The graded record (details without a simulation) is in no policy table.
        self.assertEqual(len(self.policy_table()), 3)

    def test_with_lab01_files(self):
        out = os.path.join(self.tmp, "mixed")
        try:
            proc = run(MAKE_REPORT, "--out", out, CPU, LAB08, GPU)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            plots = os.listdir(os.path.join(out, "plots"))
            self.assertEqual(len([p for p in plots if p.endswith(".png")]), 5 + 4)
            self.assertIn("2-lab08-philly2048-jct-cdf.svg", plots)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_handout_table(self):
        readme = os.path.join(self.tmp, "README.md")
        shutil.copy(README, readme)
        proc = run(HANDOUT, "--lab", "08", "--readme", readme, LAB08)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(readme, encoding="utf-8") as f:
            t = f.read()
        self.assertIn("| philly2048/sjf | reference | 1 | avg_jct 28234 s | 230860 s | 8.18 ± 0.00 |", t)



class Lab06ReportTest(unittest.TestCase):
    """Lab 06 (pipeline-parallel scheduling) records: the runtime table and Gantt charts, and the
    simulated-only records' tables and plots, which stay out of the timed-record table."""

    RUNTIME = ("runtime/interleaved/p4-m8-v2", "runtime/zb-h1/p4-m8")
    PLOTS = ("1-lab06-runtime-interleaved-p4-m8-v2-gantt", "1-lab06-runtime-zb-h1-p4-m8-gantt",
             "1-lab06-sim-p4-bubble", "1-lab06-sim-p4-memory", "1-lab06-sim-p4-gantt-m8")

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aisys-report-lab06-")
        cls.out = os.path.join(cls.tmp, "report")
        cls.proc = run(MAKE_REPORT, "--out", cls.out, LAB06)
        with open(LAB06) as f:
            cls.lab06 = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def test_fixture_renders(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")
        # Two schedules run across ranks, two simulated at m = 2, 4, 8 (timelines at m = 8).
        recs = self.lab06["records"]
        self.assertEqual([r["case"] for r in recs if "time_s" in r], list(self.RUNTIME))
        sims = [r for r in recs if r.get("simulated")]
        self.assertEqual(sorted({(r["part"], r["x"]) for r in sims}),
                         sorted((p, m) for p in ("gpipe", "zb-h1") for m in (2, 4, 8)))
        self.assertEqual(sorted(r["case"] for r in sims if "timeline_simulated" in r),
                         ["sim/gpipe/p4/m8", "sim/zb-h1/p4/m8"])

    def test_plot_files(self):
        plots = sorted(os.listdir(os.path.join(self.out, "plots")))
        # No rate plot (no record has a rate) and no model plot (lab 05's): only the pipeline's.
        self.assertEqual(plots, sorted(s + ext for s in self.PLOTS for ext in (".png", ".svg")))
        page = self.read("index.html")
        md = self.read("summary.md")
        for stem in self.PLOTS:
            with open(os.path.join(self.out, "plots", stem + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", stem)
            self.assertIn('<img src="plots/%s.png"' % stem, page)
            self.assertIn('href="plots/%s.svg"' % stem, page)
            self.assertIn("(plots/%s.png)" % stem, md)

        def svg(stem):
            with open(os.path.join(self.out, "plots", stem + ".svg"), encoding="utf-8") as f:
                return f.read()

        # Gantt charts: measured above simulated, ops by kind in the legend, waits named.
        gantt = svg("1-lab06-runtime-zb-h1-p4-m8-gantt")
        for label in ("measured: step", "simulated after calibration: step",
                      "backward, input gradient (I)", "backward, weight gradient (W)",
                      "waiting for a message (RA, RG)", "stage 0", "stage 3",
                      "time since the step started (ms)"):
            self.assertIn(label, gantt)
        self.assertIn("forward (F), chunk 1", svg("1-lab06-runtime-interleaved-p4-m8-v2-gantt"))
        sim = svg("1-lab06-sim-p4-gantt-m8")
        for label in ("gpipe: makespan 33", "zb-h1: makespan 27", "backward (B)"):
            self.assertIn(label, sim)
        bubble = svg("1-lab06-sim-p4-bubble")
        for label in ("gpipe (simulated)", "gpipe (textbook)", "zb-h1 (simulated)",
                      "zb-h1 (textbook)"):
            self.assertIn(label, bubble)
        memory = svg("1-lab06-sim-p4-memory")
        self.assertIn("peak activation memory", memory)

    def runtime_table(self):
        page = self.read("index.html")
        heading = "<h4>Lab 06, runtime-np4: schedules run across ranks</h4>"
        self.assertIn(heading, page)
        table = page.split(heading, 1)[1].split("</table>")[0].split("<tbody>", 1)[1]
        return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
                for row in re.findall(r"<tr>(.*?)</tr>", table)]

    def test_runtime_table(self):
        self.assertIn("<h3>Pipeline schedules</h3>", self.read("index.html"))
        rows = self.runtime_table()
        self.assertEqual(rows, [
            ["interleaved (v = 2)", "66.44", "212.73", "3.20 ± 0.02", "64.15", "+3.6 %", "0.248",
             "0.222", "0.158"],
            ["zb-h1", "63.14", "212.49", "3.35 ± 0.01", "59.24", "+6.6 %", "0.215", "0.164",
             "0.111"]])
        md = self.read("summary.md")
        self.assertIn("| schedule | step (ms) | sequential step (ms) | ratio to sequential ± IQR/2 | "
                      "predicted step (ms) | prediction error | bubble measured | bubble simulated "
                      "| bubble textbook |", md)
        self.assertIn("| zb-h1 | 63.14 | 212.49 | 3.35 ± 0.01 | 59.24 | +6.6 % |", md)

    def test_sim_tables(self):
        md = self.read("summary.md")
        self.assertIn("#### Lab 06, sim-p4: schedules simulated with unit costs", md)
        self.assertIn("| schedule | m = 2 | m = 4 | m = 8 |", md)
        # Simulated (textbook): ZB-H1 at m = 2 is above its textbook value.
        self.assertIn("| gpipe | 0.600 (0.600) | 0.429 (0.429) | 0.273 (0.273) |", md)
        self.assertIn("| zb-h1 | 0.455 (0.333) | 0.200 (0.200) | 0.111 (0.111) |", md)
        # Peak activation memory: fraction of the batch (in-flight count).
        self.assertIn("| gpipe | 1.000 (2) | 1.000 (4) | 1.000 (8) |", md)
        self.assertIn("| zb-h1 | 1.000 (2) | 1.000 (4) | 0.500 (4) |", md)

    def test_generic_table_keeps_runtime_and_leaves_out_simulated(self):
        md = self.read("summary.md")
        timed = md.split("### Timed records", 1)[1]
        for case in self.RUNTIME:
            self.assertIn("| %s |" % case, timed)
        self.assertIn("| 66.44 ms |", timed)
        self.assertNotIn("sim/", timed)
        self.assertNotIn("Metric records", md)

    def test_handout_table(self):
        readme = os.path.join(self.tmp, "README.md")
        shutil.copy(README, readme)
        proc = run(HANDOUT, "--lab", "06", "--readme", readme, LAB06)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(readme, encoding="utf-8") as f:
            block = f.read().split("<!-- BEGIN reference-numbers", 1)[1].split(
                "<!-- END reference-numbers -->", 1)[0]
        self.assertIn("Pipeline schedules run across ranks, runtime-np4 (`env OPENBLAS_CORETYPE=Haswell", block)
        self.assertIn("| schedule | step (ms) | sequential step (ms) | ratio to sequential ± IQR/2 |",
                      block)
        self.assertIn("| interleaved (v = 2) | 66.44 | 212.73 | 3.20 ± 0.02 | 64.15 | +3.6 % | "
                      "0.248 | 0.222 | 0.158 |", block)
        self.assertIn("Bubble fraction against m, sim-p4", block)
        self.assertIn("| schedule | m = 2 | m = 4 | m = 8 |", block)
        self.assertIn("| zb-h1 | 0.455 (0.333) | 0.200 (0.200) | 0.111 (0.111) |", block)
        self.assertIn("Measured on AMD EPYC; commit 45fead100d1d; 2026-11-23T18:42:42Z. Command: "
                      "`env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 aisys bench 06 --impl "
                      "reference`.", block)
        self.assertIn("prediction error = measured / predicted − 1", block)
        # No generic table: the simulated records would be empty rows in it.
        self.assertNotIn("| case | impl |", block)
        self.assertNotIn("sim/", block)
        self.assertNotIn("Ratio to baseline:", block)
        self.assertNotIn("(stale table)", block)
        proc = run(HANDOUT, "--lab", "06", "--readme", readme, "--check", LAB06)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_other_labs_unchanged(self):
        # A lab 06 file beside lab 01's changes nothing in lab 01's table or report plots.
        tables = []
        for files in ((CPU,), (CPU, LAB06)):
            readme = os.path.join(self.tmp, "README-%d.md" % len(files))
            shutil.copy(README, readme)
            proc = run(HANDOUT, "--lab", "01", "--readme", readme, *files)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(readme, encoding="utf-8") as f:
                tables.append(f.read())
        self.assertEqual(tables[0], tables[1])
        out = os.path.join(self.tmp, "mixed")
        try:
            proc = run(MAKE_REPORT, "--out", out, CPU, LAB06)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            pngs = [p for p in os.listdir(os.path.join(out, "plots")) if p.endswith(".png")]
            self.assertEqual(len([p for p in pngs if p.startswith("1-")]), 4)
            self.assertEqual(sorted(p[:-4] for p in pngs if p.startswith("2-")),
                             sorted("2" + s[1:] for s in self.PLOTS))
        finally:
            shutil.rmtree(out, ignore_errors=True)



class Lab02ReportTest(unittest.TestCase):
    """Lab 02 (autograd) records: GFLOP/s per convolution layer as bars instead of the
    rate-against-x plot, the framework-overhead table from the step profile, and the training
    curves."""

    PASSES = ("forward", "backward-data", "backward-weights")
    LAYERS = ("resnet-7x7s2-c3-224", "resnet-3x3-c64-56")
    PLOTS = tuple("1-lab02-conv-%s-t1-layers" % p for p in PASSES) + (
        "1-lab02-step-t1", "1-lab02-train-cnn-fashion-mnist-curves")

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aisys-report-lab02-")
        cls.out = os.path.join(cls.tmp, "report")
        cls.proc = run(MAKE_REPORT, "--out", cls.out, LAB02)
        with open(LAB02) as f:
            cls.lab02 = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def svg(self, stem):
        with open(os.path.join(self.out, "plots", stem + ".svg"), encoding="utf-8") as f:
            return f.read()

    def test_fixture_renders(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stderr, "")
        # Two layers x three passes, the overhead and step records, one training run.
        cases = [r["case"] for r in self.lab02["records"]]
        self.assertEqual(cases[:6], ["conv/%s/%s" % (p, l) for l in self.LAYERS
                                     for p in self.PASSES])
        self.assertEqual(cases[6:], ["overhead/mlp-b256", "step/mlp-b256",
                                     "train/cnn-fashion-mnist"])
        self.assertEqual([r["x"] for r in self.lab02["records"][:6]], [0, 0, 0, 1, 1, 1])
        self.assertEqual(os.listdir(self.tmp), ["report"])

    def test_plot_files(self):
        plots = sorted(os.listdir(os.path.join(self.out, "plots")))
        self.assertEqual(plots, sorted(s + ext for s in self.PLOTS for ext in (".png", ".svg")))
        page = self.read("index.html")
        md = self.read("summary.md")
        for stem in self.PLOTS:
            with open(os.path.join(self.out, "plots", stem + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", stem)
            self.assertIn("<svg", self.svg(stem), stem)
            self.assertIn('<img src="plots/%s.png"' % stem, page)
            self.assertIn('href="plots/%s.svg"' % stem, page)
            self.assertIn("(plots/%s.png)" % stem, md)

    def test_conv_plot_replaces_the_generic_one(self):
        plots = os.listdir(os.path.join(self.out, "plots"))
        page = self.read("index.html")
        for p in self.PASSES:
            # No rate-against-x plot for the conv groups (x is a layer index there) ...
            self.assertNotIn("1-lab02-conv-%s-t1.png" % p, plots)
            self.assertNotIn("conv-%s, 1 thread(s): rate against" % p, page)
            # ... but bars per layer, im2col + GEMM against oneDNN, under the FMA peak.
            svg = self.svg("1-lab02-conv-%s-t1-layers" % p)
            for label in self.LAYERS + ("im2col + GEMM (reference)", "onednn (baseline)",
                                        "single-thread FP32 FMA peak (measured): 246.5 GFLOP/s",
                                        "rate per layer"):
                self.assertIn(label, svg, (p, label))
            self.assertNotIn("log2 scale", svg)
            self.assertIn("group conv-%s, 1 thread(s): rate per layer, im2col + GEMM against "
                          "onednn; dotted red line: the single-thread FP32 FMA peak" % p, page)
        # Bar labels carry the rates: forward on the first layer, 61.3 against oneDNN's 118.4.
        forward = self.svg("1-lab02-conv-forward-t1-layers")
        self.assertIn("61.3", forward)
        self.assertIn("118", forward)
        # The step record (x = batch size) keeps its rate-against-x plot.
        self.assertIn("rate against batch", page)
        # Plots in the order of the records: the conv passes first, then the step.
        order = [page.index('<img src="plots/%s.png"' % s) for s in self.PLOTS]
        self.assertEqual(order, sorted(order))

    def overhead_table(self):
        page = self.read("index.html")
        heading = "<h3>Lab 02: framework overhead (overhead/mlp-b256)</h3>"
        self.assertIn(heading, page)
        table = page.split(heading, 1)[1].split("</table>")[0].split("<tbody>", 1)[1]
        return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
                for row in re.findall(r"<tr>(.*?)</tr>", table)]

    def test_overhead_table(self):
        self.assertEqual(self.overhead_table(), [
            ["whole step", "2.14 ms", "1.000"],
            ["forward kernels (the ops)", "912 µs", "0.426"],
            ["backward rules", "1.051 ms", "0.491"],
            ["optimizer update", "151 µs", "0.071"],
            ["outside kernels (the framework's overhead)", "26 µs", "0.012"]])
        page = html.unescape(self.read("index.html"))
        self.assertIn("overhead/mlp-b256: 20 profiled steps, 24 kernel calls per step, overhead "
                      "fraction 0.012.", page)
        self.assertIn("Timed step/mlp-b256: 2.151 ms per step against 1.874 ms for "
                      "hand-written-step (ratio 0.87 ± 0.01).", page)
        # One table only: the step record's details are the same profile.
        self.assertNotIn("framework overhead (step/mlp-b256)", page)
        md = self.read("summary.md")
        self.assertIn("### Lab 02: framework overhead (overhead/mlp-b256)", md)
        self.assertIn("| outside kernels (the framework's overhead) | 26 µs | 0.012 |", md)

    def test_training_curves(self):
        svg = self.svg("1-lab02-train-cnn-fashion-mnist-curves")
        for label in ("cnn (candidate)", "mlp-784-256-10 (baseline)", "final 0.823",
                      "final 0.795", "training loss (moving average over 50 steps)",
                      "test accuracy", "training step", "batch 64, adam, lr 0.001"):
            self.assertIn(label, svg, label)
        page = self.read("index.html")
        md = self.read("summary.md")
        self.assertIn("<h3>Lab 02: training curves (train/cnn-fashion-mnist)</h3>", page)
        for doc in (page, md):
            self.assertIn("moving average over 50 steps centred on each step", doc)
            self.assertIn("Final test accuracy: cnn (candidate) 0.823 in 5.52 s, mlp-784-256-10 "
                          "(baseline) 0.795 in 1.21 s; batch 64, adam, lr 0.001", doc)

    def test_record_tables(self):
        md = self.read("summary.md")
        timed = md.split("### Timed records", 1)[1].split("### Metric records", 1)[0]
        metric = md.split("### Metric records", 1)[1]
        for rec in self.lab02["records"]:
            self.assertIn("| %s |" % rec["case"], metric if "metric" in rec else timed)
        row = next(l for l in timed.splitlines()
                   if l.startswith("| conv/forward/resnet-7x7s2-c3-224 |"))
        self.assertIn("| 61.3 GFLOP/s | onednn | 118.4 GFLOP/s | 0.52 ± 0.01 |", row)
        row = next(l for l in metric.splitlines() if l.startswith("| train/cnn-fashion-mnist |"))
        self.assertIn("| test_accuracy | 0.8231 | fraction | higher | mlp-784-256-10 | 0.7954 |",
                      row)

    def test_other_labs_unchanged(self):
        # Beside lab 01's file: lab 01's plots are the same as on their own; lab 02's get prefix 2.
        out = os.path.join(self.tmp, "mixed")
        alone = os.path.join(self.tmp, "alone")
        try:
            self.assertEqual(run(MAKE_REPORT, "--out", alone, CPU).returncode, 0)
            proc = run(MAKE_REPORT, "--out", out, CPU, LAB02)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            plots = os.listdir(os.path.join(out, "plots"))
            self.assertEqual(sorted(p for p in plots if p.startswith("1-")),
                             sorted(os.listdir(os.path.join(alone, "plots"))))
            self.assertEqual(sorted(p for p in plots if p.startswith("2-")),
                             sorted("2" + s[1:] + ext for s in self.PLOTS
                                    for ext in (".png", ".svg")))
            with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
                page = f.read()
            # The lab 01 file's section has no lab 02 section.
            first = page.split('<h2 id="source-2">', 1)[0]
            self.assertNotIn("framework overhead", first)
            self.assertNotIn("training curves", first)
        finally:
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(alone, ignore_errors=True)



class ModelPlotTest(unittest.TestCase):
    """Records with a model's predicted_time_s (lab 05's alpha-beta model): a measured-against-model
    plot per group, whose crossover marks follow the measured times."""

    def test_model_plot_and_crossover(self):
        ctx = {"link": {"alpha_s": 1e-6, "beta_s_per_byte": 1e-10, "bandwidth_gbs": 10.0}}
        recs = []
        # tree fastest up to 1 KiB, ring fastest from 64 KiB.
        for part, times in (("tree", (1e-6, 2e-6, 9e-5)), ("ring", (2e-6, 3e-6, 5e-5))):
            for x, t in zip((4, 1024, 65536), times):
                recs.append({"lab": "05", "part": part, "impl": "reference", "case": "%s/%d" % (part, x),
                             "group": "np2", "x": x, "x_label": "message size (bytes)", "time_s": t,
                             "predicted_time_s": t / 2, "rate": {"value": x / t / 1e9, "unit": "GB/s"},
                             "baseline": {"name": "mpi_allreduce", "time_s": t},
                             "ratio_to_baseline": 1.0, "spread": 0.0})
        tmp = tempfile.mkdtemp(prefix="aisys-report-model-")
        try:
            path = os.path.join(tmp, "model.json")
            with open(path, "w") as f:
                json.dump({"schema": "aisys.results/1", "context": ctx, "records": recs}, f)
            out = os.path.join(tmp, "report")
            proc = run(MAKE_REPORT, "--out", out, path)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            plots = sorted(os.listdir(os.path.join(out, "plots")))
            self.assertIn("1-lab05-np2-model.png", plots)
            self.assertIn("1-lab05-np2-model.svg", plots)
            with open(os.path.join(out, "plots", "1-lab05-np2-model.svg"), encoding="utf-8") as f:
                self.assertIn("tree -&gt; ring", f.read())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class MakeReportErrorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aisys-report-err-")
        self.out = os.path.join(self.tmp, "report")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_rejected(self, bad, reason):
        proc = run(MAKE_REPORT, "--out", self.out, CPU, bad)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn(bad, lines[0])
        self.assertIn(reason, lines[0])
        return proc

    def test_broken_json_writes_nothing(self):
        self.check_rejected(BROKEN, "not valid JSON")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_wrong_schema_writes_nothing(self):
        self.check_rejected(WRONG_SCHEMA, "schema")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_missing_file(self):
        self.check_rejected(os.path.join(self.tmp, "nope.json"), "cannot read")

    def test_records_not_a_list(self):
        bad = os.path.join(self.tmp, "bad-records.json")
        with open(bad, "w") as f:
            json.dump({"schema": "aisys.results/1", "context": {}, "records": {"a": 1}}, f)
        self.check_rejected(bad, "records")

    def broken_lab08(self, edit):
        """A copy of the lab 08 fixture changed by edit(records), written into the temp folder."""
        with open(LAB08) as f:
            data = json.load(f)
        edit(data["records"])
        bad = os.path.join(self.tmp, "bad-lab08.json")
        with open(bad, "w") as f:
            json.dump(data, f)
        return bad

    def test_lab08_series_row_of_wrong_length(self):
        bad = self.broken_lab08(
            lambda recs: recs[1]["details"]["baseline"]["series"]["rows"][4].pop())
        self.check_rejected(bad, "records[1].details.baseline.series.rows[4] has 2 values, "
                                 "expected 3 (one per column: t_s, utilization, pending_jobs)")
        self.assertEqual(os.listdir(self.tmp), ["bad-lab08.json"])

    def test_lab08_broken_details(self):
        def cdf_text(recs):
            recs[0]["details"]["candidate"]["jct_cdf_s"][7] = "slow"

        def metric_text(recs):
            recs[0]["details"]["candidate"]["avg_jct_s"] = "8 h"

        def side_list(recs):
            recs[0]["details"]["baseline"] = []

        def rows_not_list(recs):
            recs[0]["details"]["candidate"]["series"]["rows"] = {"0": [0, 0, 0]}

        for edit, reason in (
                (cdf_text, "records[0].details.candidate.jct_cdf_s[7] is a JSON string, "
                           "expected a number"),
                (metric_text, "records[0].details.candidate.avg_jct_s is a JSON string"),
                (side_list, "records[0].details.baseline is a JSON array, expected an object"),
                (rows_not_list, "records[0].details.candidate.series.rows is a JSON object")):
            self.check_rejected(self.broken_lab08(edit), reason)

    def test_lab08_missing_details_fields_still_render(self):
        # Older files may lack any field: a policy without series or CDFs is still tabulated.
        def strip(recs):
            for side in ("candidate", "baseline"):
                for k in ("series", "jct_cdf_s", "queue_cdf_s", "fragmentation"):
                    recs[0]["details"][side].pop(k)
            recs[1]["details"]["candidate"]["series"]["columns"] = ["t_s", "busy", "queue"]
            recs[1]["details"]["baseline"]["series"]["columns"] = ["t_s", "busy", "queue"]
        proc = run(MAKE_REPORT, "--out", self.out, self.broken_lab08(strip))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(self.out, "index.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("<td>sjf</td>", page)
        plots = sorted(p for p in os.listdir(os.path.join(self.out, "plots")) if p.endswith(".png"))
        # No policy has utilisation or pending columns any more: those two plots are left out.
        self.assertEqual(plots, ["1-lab08-philly2048-jct-cdf.png",
                                 "1-lab08-philly2048-queue-cdf.png"])

    def broken_lab06(self, edit):
        """A copy of the lab 06 fixture changed by edit(records), written into the temp folder."""
        with open(LAB06) as f:
            data = json.load(f)
        edit(data["records"])
        bad = os.path.join(self.tmp, "bad-lab06.json")
        with open(bad, "w") as f:
            json.dump(data, f)
        return bad

    def test_lab06_timeline_row_of_wrong_length(self):
        bad = self.broken_lab06(lambda recs: recs[1]["timeline_measured"][3].pop())
        self.check_rejected(bad, "records[1].timeline_measured[3] has 5 values, expected 6 "
                                 "(stage, op, micro-batch, chunk, start_s, end_s)")
        self.assertEqual(os.listdir(self.tmp), ["bad-lab06.json"])

    def test_lab06_broken_fields(self):
        def op_number(recs):
            recs[0]["timeline_simulated"][2][1] = 7

        def start_text(recs):
            recs[4]["timeline_simulated"][0][4] = "0.5"

        def stage_negative(recs):
            recs[0]["timeline_measured"][0][0] = -1

        def row_object(recs):
            recs[1]["timeline_simulated"][0] = {"stage": 0}

        def timeline_object(recs):
            recs[1]["timeline_simulated"] = {"rows": []}

        def bubble_text(recs):
            recs[3]["bubble_fraction"] = "0.4"

        def costs_list(recs):
            recs[0]["calibrated_costs_s"] = [0.001, 0.001]

        for edit, reason in (
                (op_number, "records[0].timeline_simulated[2][1] (op) is a JSON number, expected a "
                            "string"),
                (start_text, "records[4].timeline_simulated[0][4] (start_s) is a JSON string, "
                             "expected a number"),
                (stage_negative, "records[0].timeline_measured[0][0] (stage) is -1, expected a "
                                 "stage index"),
                (row_object, "records[1].timeline_simulated[0] is a JSON object, expected a row"),
                (timeline_object, "records[1].timeline_simulated is a JSON object, expected a list "
                                  "of rows"),
                (bubble_text, "records[3].bubble_fraction is a JSON string, expected a number"),
                (costs_list, "records[0].calibrated_costs_s is a JSON array, expected an object")):
            self.check_rejected(self.broken_lab06(edit), reason)

    def test_lab06_missing_fields_still_render(self):
        # Older files may lack any field: a run without timelines gets its table row, no Gantt chart.
        def strip(recs):
            for k in ("timeline_measured", "timeline_simulated", "predicted_time_s",
                      "prediction_error"):
                recs[0].pop(k)
            for r in recs[2:]:
                r.pop("bubble_theory")
        proc = run(MAKE_REPORT, "--out", self.out, self.broken_lab06(strip))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(self.out, "summary.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertIn("| interleaved (v = 2) | 66.44 | 212.73 | 3.20 ± 0.02 |  |  | 0.248 |", md)
        self.assertIn("| zb-h1 | 0.455 | 0.200 | 0.111 |", md)
        plots = sorted(p for p in os.listdir(os.path.join(self.out, "plots")) if p.endswith(".png"))
        self.assertEqual(plots, ["1-lab06-runtime-zb-h1-p4-m8-gantt.png", "1-lab06-sim-p4-bubble.png",
                                 "1-lab06-sim-p4-gantt-m8.png", "1-lab06-sim-p4-memory.png"])

    def broken_lab02(self, edit):
        """A copy of the lab 02 fixture changed by edit(records), written into the temp folder."""
        with open(LAB02) as f:
            data = json.load(f)
        edit(data["records"])
        bad = os.path.join(self.tmp, "bad-lab02.json")
        with open(bad, "w") as f:
            json.dump(data, f)
        return bad

    def test_lab02_loss_shorter_than_steps(self):
        bad = self.broken_lab02(lambda recs: recs[8]["details"]["cnn"]["loss"].pop())
        self.check_rejected(bad, "records[8].details.cnn.loss has 199 values, expected 200 (one "
                                 "per entry of step)")
        self.assertEqual(os.listdir(self.tmp), ["bad-lab02.json"])

    def test_lab02_broken_fields(self):
        def accuracy_longer(recs):
            recs[8]["details"]["mlp"]["test_accuracy"].append(0.8)

        def curve_list(recs):
            recs[8]["details"]["mlp"] = [0.1, 0.2]

        def step_text(recs):
            recs[8]["details"]["cnn"]["eval_step"][2] = "75"

        def loss_text(recs):
            recs[8]["details"]["cnn"]["loss"][5] = "nan"

        def loss_without_steps(recs):
            del recs[8]["details"]["cnn"]["step"]

        def seconds_text(recs):
            recs[8]["details"]["cnn"]["seconds"] = "5 s"

        def optimizer_number(recs):
            recs[8]["details"]["optimizer"] = 1

        def profile_text(recs):
            recs[6]["details"]["outside_kernels_s"] = "26 us"

        def layer_number(recs):
            recs[3]["shape"]["layer"] = 1

        def x_text(recs):
            recs[0]["x"] = "first"

        for edit, reason in (
                (accuracy_longer, "records[8].details.mlp.test_accuracy has 9 values, expected 8 "
                                  "(one per entry of eval_step)"),
                (curve_list, "records[8].details.mlp is a JSON array, expected an object"),
                (step_text, "records[8].details.cnn.eval_step[2] is a JSON string, expected a "
                            "number"),
                (loss_text, "records[8].details.cnn.loss[5] is a JSON string, expected a number"),
                (loss_without_steps, "records[8].details.cnn has a \"loss\" list but no \"step\" "
                                     "list"),
                (seconds_text, "records[8].details.cnn.seconds is a JSON string"),
                (optimizer_number, "records[8].details.optimizer is a JSON number, expected a "
                                   "string"),
                (profile_text, "records[6].details.outside_kernels_s is a JSON string, expected a "
                               "number"),
                (layer_number, "records[3].shape.layer is a JSON number, expected the layer's "
                               "name"),
                (x_text, "records[0].x is a JSON string, expected the layer's index")):
            self.check_rejected(self.broken_lab02(edit), reason)

    def test_lab02_missing_fields_still_render(self):
        # Older files may lack any field: no ceilings (no peak line), a curve without test
        # accuracy, null losses, a profile without the optimizer's time, a conv record without a
        # baseline rate.
        def strip(recs):
            del recs[0]["baseline"]["rate"]
            del recs[6]["details"]["optimizer_s"]
            cnn = recs[8]["details"]["cnn"]
            for k in ("eval_step", "test_accuracy", "final_test_accuracy"):
                del cnn[k]
            cnn["loss"][:10] = [None] * 10
            del recs[8]["details"]["mlp"]
        bad = self.broken_lab02(strip)
        with open(bad) as f:
            data = json.load(f)
        del data["context"]["ceilings"]
        with open(bad, "w") as f:
            json.dump(data, f)
        proc = run(MAKE_REPORT, "--out", self.out, bad)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(os.path.join(self.out, "summary.md"), encoding="utf-8") as f:
            md = f.read()
        self.assertNotIn("optimizer update", md)
        self.assertIn("| outside kernels (the framework's overhead) | 26 µs | 0.012 |", md)
        self.assertIn("Final test accuracy: cnn (candidate) (no accuracy) in 5.52 s", md)
        self.assertNotIn("FMA peak", md)
        with open(os.path.join(self.out, "plots", "1-lab02-conv-forward-t1-layers.svg"),
                  encoding="utf-8") as f:
            svg = f.read()
        self.assertNotIn("FMA peak", svg)
        self.assertIn("resnet-7x7s2-c3-224", svg)
        plots = sorted(p for p in os.listdir(os.path.join(self.out, "plots")) if p.endswith(".png"))
        self.assertEqual(plots, sorted(s + ".png" for s in Lab02ReportTest.PLOTS))

    def test_broken_file_leaves_existing_report_untouched(self):
        self.assertEqual(run(MAKE_REPORT, "--out", self.out, CPU).returncode, 0)
        before = snapshot(self.out)
        self.assertIn("index.html", before)
        for bad, reason in ((BROKEN, "not valid JSON"), (WRONG_SCHEMA, "schema")):
            self.check_rejected(bad, reason)
            self.assertEqual(snapshot(self.out), before)
        self.assertEqual(os.listdir(self.tmp), ["report"])

    def test_refuses_to_replace_a_foreign_folder(self):
        os.makedirs(self.out)
        keep = os.path.join(self.out, "precious.txt")
        with open(keep, "w") as f:
            f.write("not a report")
        proc = run(MAKE_REPORT, "--out", self.out, CPU)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("refusing", proc.stderr)
        self.assertEqual(os.listdir(self.out), ["precious.txt"])


class HandoutTableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aisys-handout-")
        self.readme = os.path.join(self.tmp, "README.md")
        shutil.copy(README, self.readme)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def handout(self, *extra, lab="01", files=(CPU,)):
        return run(HANDOUT, "--lab", lab, "--readme", self.readme, *extra, *files)

    def text(self):
        with open(self.readme, encoding="utf-8") as f:
            return f.read()

    def test_rewrite_then_check(self):
        original = self.text()
        self.assertIn("(stale table)", original)
        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(self.readme, proc.stderr)
        self.assertEqual(self.text(), original)  # --check writes nothing

        proc = self.handout()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        new = self.text()
        self.assertNotIn("(stale table)", new)
        head, rest = new.split("<!-- BEGIN reference-numbers", 1)
        table, tail = rest.split("<!-- END reference-numbers -->", 1)
        self.assertEqual(head, original.split("<!-- BEGIN reference-numbers", 1)[0])
        self.assertEqual(tail, original.split("<!-- END reference-numbers -->", 1)[1])
        self.assertIn("| case | impl | threads | GFLOP/s | baseline GFLOP/s |", table)
        self.assertIn("| cpu/microkernel/1024 | reference | 1 | 178.6 | 211.7 | 0.84 ± 0.02 | 0.70 |",
                      table)
        self.assertIn("| cpu/multithreaded/llm/128 | reference | 2 |", table)
        self.assertNotIn("skeleton", table)  # only impl "reference"
        self.assertIn("AMD EPYC 9B45", table)
        self.assertIn("Cooperlake", table)
        self.assertIn("abc1234", table)
        self.assertIn("2026-11-23T13:00:00Z", table)
        self.assertIn("aisys bench 01 --impl reference --json", table)
        rows = [l for l in table.splitlines() if l.startswith("| cpu/")]
        with open(CPU) as f:
            expected = [r for r in json.load(f)["records"] if r["impl"] == "reference"]
        self.assertEqual(len(rows), len(expected))

        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # A second rewrite changes nothing.
        self.assertEqual(self.handout().returncode, 0)
        self.assertEqual(self.text(), new)

    def test_check_fails_after_edit(self):
        self.assertEqual(self.handout().returncode, 0)
        edited = self.text().replace("| 178.6 |", "| 199.9 |", 1)
        self.assertNotEqual(edited, self.text())
        with open(self.readme, "w", encoding="utf-8") as f:
            f.write(edited)
        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(self.readme, proc.stderr)
        self.assertIn("out of date", proc.stderr)
        self.assertEqual(self.text(), edited)

    def test_other_lab_and_metrics(self):
        proc = self.handout(lab="8", files=(CPU, GPU))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = self.text()
        self.assertIn("| sched/tiresias/philly-trace-small | reference | 1 | avg_jct 12.3 s | 30.1 s |", t)
        self.assertNotIn("cpu/microkernel", t)
        self.assertIn("NVIDIA H100 80GB HBM3", t)

    def test_missing_markers(self):
        with open(self.readme, "w", encoding="utf-8") as f:
            f.write("# A handout without markers\n")
        for extra in ((), ("--check",)):
            proc = self.handout(*extra)
            self.assertEqual(proc.returncode, 2)
            self.assertIn(self.readme, proc.stderr)
            self.assertIn("reference-numbers", proc.stderr)
        with open(self.readme, encoding="utf-8") as f:
            self.assertEqual(f.read(), "# A handout without markers\n")

    def test_no_records_for_lab(self):
        proc = self.handout(lab="05")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("lab 05", proc.stderr)

    def test_broken_results(self):
        proc = self.handout(files=(BROKEN,))
        self.assertEqual(proc.returncode, 2)
        self.assertIn(BROKEN, proc.stderr)
        self.assertIn("(stale table)", self.text())


class HandoutSeveralResultsTest(unittest.TestCase):
    """A lab with several results files (rank counts, forced baselines, machines): one table per
    file, each under the line saying where and how it was measured, baseline cells named."""

    def test_one_table_per_results_file(self):
        tmp = tempfile.mkdtemp(prefix="aisys-handout-several-")
        try:
            with open(CPU) as f:
                data = json.load(f)
            data["context"]["command"] = "env OPENBLAS_CORETYPE=SkylakeX aisys bench 01 --impl reference"
            data["context"]["commit"] = "0123456789ab"
            second = os.path.join(tmp, "second.json")
            with open(second, "w") as f:
                json.dump(data, f)
            readme = os.path.join(tmp, "README.md")
            shutil.copy(README, readme)
            proc = run(HANDOUT, "--lab", "01", "--readme", readme, CPU, second)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(readme, encoding="utf-8") as f:
                block = f.read().split("<!-- BEGIN reference-numbers", 1)[1].split(
                    "<!-- END reference-numbers -->", 1)[0]
            parts = block.split("Measured on ")
            self.assertEqual(len(parts), 3, block)
            self.assertNotIn("| case |", parts[0])
            self.assertIn("| case |", parts[1])
            self.assertIn("commit 0123456789ab", parts[2])
            self.assertIn("Command: `env OPENBLAS_CORETYPE=SkylakeX aisys bench 01", parts[2])
            self.assertIn("| case |", parts[2])
            base = {r["baseline"]["name"] for r in data["records"] if isinstance(r.get("baseline"), dict)
                    and r.get("impl") == "reference" and r["baseline"].get("name")}
            self.assertTrue(base, "the fixture's records name their baseline")
            for name in base:
                self.assertIn("| %s: " % name, parts[1])
            # One file: the single table as before, with the line below it.
            proc = run(HANDOUT, "--lab", "01", "--readme", readme, CPU)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(readme, encoding="utf-8") as f:
                block = f.read().split("<!-- BEGIN reference-numbers", 1)[1]
            self.assertLess(block.index("| case |"), block.index("Measured on "))
            self.assertEqual(block.split("<!-- END", 1)[0].count("Measured on "), 1)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class HandicappedBaselineTest(unittest.TestCase):
    """A context whose OpenBLAS ran kernels older than the CPU (openblas_info's "handicapped") is
    named so in the report's machine line; an ordinary one is not."""

    def load(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("make_report_module", MAKE_REPORT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_machine_line(self):
        report = self.load()
        ctx = {"cpu": {"model": "Intel(R) Xeon(R) Processor"},
               "baselines": {"openblas": {"version": "0.3.21", "corename": "Prescott", "kernel_isa": "sse",
                                          "cpu_isa": "avx512", "handicapped": True}}}
        line = report.machine_line(ctx)
        self.assertIn("core Prescott (HANDICAPPED: sse kernels on a CPU with avx512", line)
        ctx["baselines"]["openblas"].update({"corename": "SkylakeX", "kernel_isa": "avx512", "handicapped": False})
        line = report.machine_line(ctx)
        self.assertIn("core SkylakeX", line)
        self.assertNotIn("HANDICAPPED", line)

    def test_an_incomplete_run_is_named(self):
        # A results file written while its benchmark ran, and left so when it stopped early.
        report = self.load()
        ctx = {"cpu": {"model": "AMD EPYC"}, "incomplete": {"cases_done": 12, "cases_selected": 47, "why": "..."}}
        self.assertIn("INCOMPLETE run: 12 of 47 cases", report.machine_line(ctx))
        del ctx["incomplete"]
        self.assertNotIn("INCOMPLETE", report.machine_line(ctx))


class FrameworkEfficiencyTest(unittest.TestCase):
    """A step profile with the hand-written step's time (the graded framework efficiency) shows that
    row and the efficiency in the note; a profile without them (older results) shows neither."""

    def test_profile_with_and_without_the_hand_written_step(self):
        report = HandicappedBaselineTest.load(self)
        details = {"steps": 20, "step_s": 0.002642, "forward_kernels_s": 0.00076, "backward_rules_s": 0.00175,
                   "optimizer_s": 0.00011, "outside_kernels_s": 2.25e-05, "kernel_fraction": 0.991,
                   "overhead_fraction": 0.009, "hand_step_s": 0.002196, "framework_efficiency": 0.990}
        rec = {"case": "overhead/mlp-b256", "details": details}
        rows = report.profile_rows(rec)
        self.assertEqual(rows[-1], ["the same step written by hand (no graph), for comparison", "2.196 ms", "0.831"])
        self.assertIn("framework efficiency 0.990", report.profile_note(rec, [rec]))
        old = dict(details)
        del old["hand_step_s"], old["framework_efficiency"]
        rec_old = {"case": "overhead/mlp-b256", "details": old}
        self.assertEqual(len(report.profile_rows(rec_old)), 5)
        self.assertNotIn("framework efficiency 0.", report.profile_note(rec_old, [rec_old]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
