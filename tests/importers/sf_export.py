"""A tiny, realistic Salesforce Data Export that each test bends into one messy case.

An :class:`Export` holds the rows of each object file (header first), which a test edits
and then writes to disk in the encoding and line endings it wants.  (A plain module, not
the conftest, so that tests in other folders can import it by a name no other file has.)
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path
from typing import Any

from accountleader.domain.salesforce_ids import to_18

# Ids as Salesforce writes them: 18 characters, mixed case, the suffix encoding the case.
U_MANAGER = to_18("005Ax000001MgRa")
U_SELLER = to_18("005Ax000002SeLr")
A_ACME = to_18("001Ax00000AcMe1")
A_GLOBEX = to_18("001Ax00000GlBx2")
C_ANA = to_18("003Ax00000AnA01")
C_BOB = to_18("003Ax00000BoB02")
O_WON = to_18("006Ax00000WoN01")
O_OPEN = to_18("006Ax00000OpN02")


def base_rows() -> dict[str, list[list[str]]]:
    return {
        "User": [
            ["Id", "Name", "Email", "Title", "Department", "UserRoleId", "ManagerId", "IsActive"],
            [U_MANAGER, "Marta Gómez", "marta@seller.example", "Regional Sales Director", "Sales", "", "", "true"],
            [U_SELLER, "Sam Seller", "sam@seller.example", "Account Executive", "Sales", "", U_MANAGER, "true"],
        ],
        "Account": [
            ["Id", "Name", "Industry", "AnnualRevenue", "NumberOfEmployees", "BillingCountry", "Type", "OwnerId", "ParentId", "CreatedDate", "IsDeleted"],
            [A_ACME, "Acme Corp", "Manufacturing", "12000000", "250", "United States", "Customer", U_SELLER, "", "2023-01-10T09:00:00.000Z", "false"],
            [A_GLOBEX, "Globex", "Technology", "", "40", "Spain", "Prospect", U_SELLER, "", "2023-02-11T09:00:00.000Z", "false"],
        ],
        "Contact": [
            ["Id", "AccountId", "FirstName", "LastName", "Title", "Email", "CreatedDate", "IsDeleted"],
            [C_ANA, A_ACME, "Ana", "Ruiz", "VP Operations", "Ana.Ruiz@acme.example", "2023-01-12T10:00:00.000Z", "false"],
            [C_BOB, A_GLOBEX, "Bob", "Stone", "IT Manager", "bob@globex.example", "2023-02-12T10:00:00.000Z", "false"],
        ],
        "Opportunity": [
            ["Id", "AccountId", "OwnerId", "Name", "Type", "StageName", "Amount", "CurrencyIsoCode", "Probability", "ForecastCategoryName", "CreatedDate", "CloseDate", "IsClosed", "IsWon", "LeadSource", "IsDeleted"],
            [O_WON, A_ACME, U_SELLER, "Acme - Renewal 2024", "Renewal", "Closed Won", "1000", "USD", "100", "Closed", "2024-01-05T08:00:00.000Z", "2024-03-01", "true", "true", "Web", "false"],
            [O_OPEN, A_GLOBEX, U_SELLER, "Globex - New", "New Business", "Prospecting", "500", "USD", "10", "Pipeline", "2024-02-01T08:00:00.000Z", "2024-06-30", "false", "false", "", "false"],
        ],
        "OpportunityHistory": [
            ["Id", "OpportunityId", "StageName", "Amount", "Probability", "CloseDate", "CreatedDate", "CreatedById"],
            [to_18("008Ax00000HiS01"), O_WON, "Prospecting", "900", "10", "2024-03-01", "2024-01-05T08:00:00.000Z", U_SELLER],
            [to_18("008Ax00000HiS02"), O_WON, "Closed Won", "1000", "100", "2024-03-01", "2024-03-01T12:00:00.000Z", U_SELLER],
        ],
        "Task": [
            ["Id", "Subject", "TaskSubtype", "Type", "OwnerId", "WhoId", "WhatId", "AccountId", "ActivityDate", "CompletedDateTime", "CreatedDate", "Status", "CallType", "IsDeleted"],
            [to_18("00TAx00000TsK01"), "Call Ana", "Call", "", U_SELLER, C_ANA, O_WON, A_ACME, "2024-02-01", "2024-02-01T15:00:00.000Z", "2024-02-01T15:00:00.000Z", "Completed", "Outbound", "false"],
            [to_18("00TAx00000TsK02"), "Send deck", "Task", "Email", U_SELLER, C_BOB, O_OPEN, A_GLOBEX, "2024-02-03", "", "2024-02-03T09:00:00.000Z", "Completed", "", "false"],
        ],
        "Event": [
            ["Id", "Subject", "OwnerId", "WhoId", "WhatId", "AccountId", "ActivityDateTime", "StartDateTime", "CreatedDate", "IsDeleted"],
            [to_18("00UAx00000EvT01"), "Demo", U_SELLER, C_BOB, O_OPEN, A_GLOBEX, "2024-02-10T16:00:00.000Z", "2024-02-10T16:00:00.000Z", "2024-02-08T09:00:00.000Z", "false"],
        ],
        "EmailMessage": [
            ["Id", "Subject", "FromAddress", "ToAddress", "Incoming", "MessageDate", "RelatedToId", "CreatedById", "CreatedDate"],
            [to_18("02sAx00000EmL01"), "Re: pricing", "ana.ruiz@ACME.example", "sam@seller.example", "true", "2024-02-02T10:00:00.000Z", O_WON, U_SELLER, "2024-02-02T10:00:00.000Z"],
            [to_18("02sAx00000EmL02"), "Proposal", "sam@seller.example", "BOB@globex.example; cc@globex.example", "false", "2024-02-04T10:00:00.000Z", O_OPEN, U_SELLER, "2024-02-04T10:00:00.000Z"],
        ],
    }


class Export:
    """The rows of a Salesforce export, editable by column name, writable to a directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows = base_rows()

    def set(self, obj: str, row: int, column: str, value: str) -> Export:
        """Set ``column`` of data row ``row`` (0-based) of ``obj``."""
        header = self.rows[obj][0]
        self.rows[obj][row + 1][header.index(column)] = value
        return self

    def get(self, obj: str, row: int, column: str) -> str:
        return self.rows[obj][row + 1][self.rows[obj][0].index(column)]

    def add_row(self, obj: str, **values: str) -> Export:
        header = self.rows[obj][0]
        unknown = set(values) - set(header)
        assert not unknown, f"{obj} has no columns {unknown}"
        self.rows[obj].append([values.get(c, "") for c in header])
        return self

    def add_column(self, obj: str, column: str, values: list[str]) -> Export:
        self.rows[obj][0].append(column)
        for r, v in zip(self.rows[obj][1:], values, strict=True):
            r.append(v)
        return self

    def text(self, obj: str, newline: str = "\n") -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator=newline).writerows(self.rows[obj])
        return buf.getvalue()

    def write(self, name: str = "export", *, encoding: str = "utf-8", newline: str = "\n", bom: bool = False,
              raw: dict[str, bytes] | None = None) -> Path:
        """Write every object as ``<Object>.csv``; ``raw`` replaces whole files by exact bytes."""
        out = self.root / name
        out.mkdir(parents=True, exist_ok=True)
        for obj in self.rows:
            data = self.text(obj, newline).encode(encoding)
            (out / f"{obj}.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        for filename, data in (raw or {}).items():
            (out / filename).write_bytes(data)
        return out


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def workspace_fingerprint(ws: Path) -> dict[str, Any]:
    """Everything an import may change: crm.duckdb's bytes and mtime, and the file names."""
    crm = ws / "crm.duckdb"
    return {
        "files": sorted(p.name for p in ws.iterdir() if p.name != ".lock"),
        "crm_sha256": file_digest(crm) if crm.exists() else None,
        "crm_mtime_ns": os.stat(crm).st_mtime_ns if crm.exists() else None,
    }
