"""Repeats, loudly at the end of the run, why the browser tests were skipped (test_browser.py)."""


def pytest_terminal_summary(terminalreporter):
    reasons = set()
    for report in terminalreporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: reason")
            reason = report.longrepr[2].removeprefix("Skipped: ")
            if reason.startswith("BROWSER TESTS SKIPPED"):
                reasons.add(reason)
    for reason in sorted(reasons):
        terminalreporter.write_line(reason, yellow=True, bold=True)
