"""Account ingest: accounts created or updated by name, and the stored rows linked to them."""

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import OuterRef, QuerySet, Subquery

from .. import models
from ..logs import LOGS, LogSpec
from .schema import ACCOUNTS, schema_for, valid
from .store import BULK_BATCH, IngestResult, chunks


def _groups_by_name(names: set[str]) -> dict[str, models.AccountGroup]:
    groups = {}
    for chunk in chunks(sorted(names)):
        groups.update((g.name, g) for g in models.AccountGroup.objects.filter(name__in=chunk))
    missing = [models.AccountGroup(name=name) for name in sorted(names - groups.keys())]
    models.AccountGroup.objects.bulk_create(missing, batch_size=BULK_BATCH)
    groups.update((group.name, group) for group in missing)
    return groups


def _apply_account_report(
    account: models.Account, report: dict, groups: dict[str, models.AccountGroup]
) -> bool:
    """Set the fields the report carries (absent ones are left as they are)."""
    changed = False
    for name in ("description", "virtual_number"):
        if name in report and getattr(account, name) != report[name]:
            setattr(account, name, report[name])
            changed = True
    if "group" in report:
        group_id = groups[report["group"]].pk if report["group"] else None
        if account.group_id != group_id:
            account.group_id = group_id
            changed = True
    return changed


def _link_older_rows(accounts: list[models.Account]) -> None:
    """Link the stored rows, still unlinked, that carry these accounts' names or numbers.

    One UPDATE per link field (per chunk of names), whatever the number of rows; for a log
    that keeps aggregates by account link, the rows are read first and linked by id, so
    that its figures gain exactly the rows linked.
    """
    by_match = {
        "username": [account.username for account in accounts],
        "virtual_number": sorted({a.virtual_number for a in accounts if a.virtual_number}),
    }
    for spec in LOGS.values():
        for link in spec.account_links:
            account_id = Subquery(
                models.Account.objects.filter(**{link.match: OuterRef(link.source)})
                .order_by("id")
                .values("id")[:1]
            )
            for chunk in chunks(by_match[link.match]):
                unlinked = spec.model.objects.filter(
                    **{f"{link.link}__isnull": True, f"{link.source}__in": chunk}
                )
                if any(aggregate.linked for aggregate in spec.aggregates):
                    _link_counted(spec, link.link, unlinked.annotate(linked_to=account_id))
                else:
                    unlinked.update(**{link.link: account_id})


def _link_counted(spec: LogSpec, link: str, unlinked: QuerySet) -> None:
    """Link the rows of `unlinked` to their `linked_to` account, and add them to the log's
    aggregates by account link as rows linked by `link` alone."""
    attname = spec.model._meta.get_field(link).attname
    others = {spec.model._meta.get_field(name).attname: None for name in spec.link_fields}
    fields = spec.aggregated_fields
    rows = list(unlinked.select_for_update().values("pk", "linked_to", *fields))
    by_account: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_account[row["linked_to"]].append(row["pk"])
        row.update(others)
        row[attname] = row["linked_to"]
    for account, ids in by_account.items():
        for chunk in chunks(ids):
            spec.model.objects.filter(pk__in=chunk).update(**{attname: account})
    for aggregate in spec.aggregates:
        if aggregate.linked:
            aggregate.count(rows, 1)


def store_accounts(numbered: Sequence[tuple[int, object]]) -> IngestResult:
    """Validate and store one batch of accounts, then link the stored rows that name them."""
    result = IngestResult()
    values_list = list(valid(schema_for(ACCOUNTS), numbered, result.rejected))
    if not values_list:
        return result
    usernames = list({values["username"] for values in values_list})
    existing: dict[str, models.Account] = {}
    for chunk in chunks(usernames):
        rows = models.Account.objects.select_for_update().filter(username__in=chunk)
        existing.update((account.username, account) for account in rows)
    groups = _groups_by_name({values["group"] for values in values_list if values.get("group")})

    new: dict[str, models.Account] = {}
    changed: dict[str, models.Account] = {}
    for values in values_list:
        username = values["username"]
        account = new.get(username) or existing.get(username)
        if account is None:
            new[username] = models.Account(username=username)
            _apply_account_report(new[username], values, groups)
            result.accepted += 1
        elif _apply_account_report(account, values, groups):
            result.updated += 1
            if username in existing:
                changed[username] = account
        else:
            result.duplicates += 1

    models.Account.objects.bulk_create(new.values(), batch_size=BULK_BATCH)
    models.Account.objects.bulk_update(
        changed.values(), ["description", "virtual_number", "group"], batch_size=BULK_BATCH
    )
    _link_older_rows([*new.values(), *changed.values()])
    return result
