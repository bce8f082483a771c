"""Excel exchange with the secretariat's ledgers (台账): template, import, export (issue 5).

``schema`` defines the sheets; ``workbook`` writes them (instructions, drop-downs, formula-safe cells);
``importer`` reads them all-or-nothing with a per-row report; ``exporter`` writes every record.
"""
