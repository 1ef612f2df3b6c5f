"""Bulk import of partner lists (CSV, XLSX, HXL-tagged): ``import_file`` and what it reports.

    report = import_file(uow, Path("partner.csv"), actor=actor, site_id=site.id)

One row is one person. Valid rows are imported, invalid ones written to a rejects file (row, field,
reason) that can be corrected and imported again; importing the same rows again creates nothing.
Column names, HXL hashtags, value words and limits: docs/import.md.
"""

from safepassage.registry.importing.rows import RowProblem
from safepassage.registry.importing.service import (
    ImportReport,
    default_rejects_path,
    default_source,
    import_file,
)

__all__ = ["ImportReport", "RowProblem", "default_rejects_path", "default_source", "import_file"]
