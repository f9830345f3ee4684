"""Reading a demo export back as text, the way an importer would, for the demo tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from accountleader.demo import PlantedTruth
from accountleader.demo.titles import INDIVIDUAL, seniority_of_title


@dataclass
class Export:
    directory: Path
    truth: PlantedTruth
    files: dict[str, int]
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            self.frames[name] = pd.read_csv(
                self.directory / f"{name}.csv", dtype=str, keep_default_na=False
            )
        return self.frames[name]

    def ts(self, frame: str, column: str) -> pd.Series:
        return pd.to_datetime(self[frame][column].replace("", None), utc=True, format="ISO8601")

    def activities(self) -> pd.DataFrame:
        """Every activity as (owner, account, contact, at, source, inbound), as an importer would link them."""
        contacts = self["Contact"]
        by_email = dict(zip(contacts.Email, contacts.Id, strict=True))
        opp_account = dict(zip(self["Opportunity"].Id, self["Opportunity"].AccountId, strict=True))
        task, event, email = self["Task"], self["Event"], self["EmailMessage"]
        # open tasks (issue 15's planted instructions from managers) are plans, not activity
        done = task.CompletedDateTime != ""
        task = task[done]
        related = email.RelatedToId
        email_account = related.map(lambda x: opp_account.get(x, x))
        inbound = email.Incoming == "true"
        frame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "owner": task.OwnerId,
                        "account": task.AccountId,
                        "contact": task.WhoId,
                        "when": self.ts("Task", "CompletedDateTime")[done],
                        "source": "Task",
                        "inbound": task.CallType == "Inbound",
                        "what": task.WhatId,
                        "subject": task.Subject,
                    }
                ),
                pd.DataFrame(
                    {
                        "owner": event.OwnerId,
                        "account": event.AccountId,
                        "contact": event.WhoId,
                        "when": self.ts("Event", "StartDateTime"),
                        "source": "Event",
                        "inbound": False,
                        "what": event.WhatId,
                        "subject": event.Subject,
                    }
                ),
                pd.DataFrame(
                    {
                        "owner": email.CreatedById,
                        "account": email_account,
                        "contact": email.FromAddress.where(inbound, email.ToAddress).map(by_email),
                        "when": self.ts("EmailMessage", "MessageDate"),
                        "source": "EmailMessage",
                        "inbound": inbound,
                        "what": related,
                        "subject": email.Subject,
                    }
                ),
            ],
            ignore_index=True,
        )
        seniority = dict(zip(contacts.Id, contacts.Title.map(seniority_of_title), strict=True))
        frame["seniority"] = frame.contact.map(seniority)
        frame["junior"] = frame.seniority == INDIVIDUAL
        return frame
