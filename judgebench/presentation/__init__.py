"""Presentation: report data turned into text, HTML and figures (the one place HTML and matplotlib live).

- :mod:`judgebench.presentation.report_format`: report rows as JSON, CSV or Markdown text.
- :mod:`judgebench.presentation.html_report`: the one-page HTML report (its CSS and script in ``html_report_assets/``).
- :mod:`judgebench.presentation.plots`: the report's figures (the only module importing matplotlib).

The terminal rendering with rich stays in :mod:`judgebench.cli.render`, since rich belongs to the CLI.
"""
