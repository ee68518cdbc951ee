"""The appliance's accounts, and the link every log row keeps to one."""

from django.db import models


class AccountGroup(models.Model):
    name = models.CharField(max_length=150, unique=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.description or self.name


class Account(models.Model):
    username = models.CharField(max_length=150, unique=True)
    description = models.CharField(max_length=255, blank=True)
    virtual_number = models.CharField("virtual phone number", max_length=32, blank=True)
    group = models.ForeignKey(
        AccountGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["virtual_number"])]

    def __str__(self) -> str:
        return self.username


def account_link(related_name: str) -> models.ForeignKey:
    """The nullable link from a log row to the Account its name matched at ingest.

    Not a database constraint: ingest sets the link from the Account table in the same
    transaction, and a constraint would cost a trigger per linked row on every insert (two
    per CDR), the largest part of bulk ingest's time. Deleting an Account still clears its
    links (Django does SET_NULL itself); a link left dangling (by an ingest racing that
    deletion) reads as no account, as the pages join the Account table.
    """
    return models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        db_index=False,  # covered by the (account, time) index of each log
        db_constraint=False,
    )
