"""The assignment-rule engine: which territory each account belongs in, vectorised.

Pure functions over a pandas frame of accounts and a list of rules, so that placing
50,000 accounts costs two reads and numpy work, never a query per account.

Semantics (DESIGN 4.4):
- A rule matches an account when the account's ``field`` satisfies ``operator`` and
  the value(s). Text compares case-insensitively, ignoring surrounding spaces;
  ``annual_potential`` compares exactly, in cents.
- Lower priority numbers win. Among the rules that match an account, those with the
  best priority decide: one territory → the account belongs there; two or more
  different territories → a conflict, and the account stays where it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from .models import RuleField, RuleOperator

TEXT_FIELDS = (RuleField.COUNTRY, RuleField.REGION, RuleField.POSTAL_CODE, RuleField.INDUSTRY)
NO_TERRITORY = -1


@dataclass(frozen=True)
class RuleSpec:
    territory_id: int
    field: str
    operator: str
    value: str
    value_to: str = ""
    priority: int = 100


@dataclass
class Plan:
    """What applying the rules would do. ``moves`` are (account_id, from_id, to_id)."""

    moves: list[tuple[int, int | None, int]] = field(default_factory=list)
    conflicts: list[tuple[int, list[int]]] = field(default_factory=list)
    evaluated: int = 0
    matched: int = 0
    unchanged: int = 0

    @property
    def unmatched(self) -> int:
        return self.evaluated - self.matched


def split_values(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def to_cents(value: str | Decimal) -> int:
    amount = Decimal(str(value).replace(",", "").strip())
    return int((amount * 100).to_integral_value())


def rule_errors(rule: RuleSpec) -> dict[str, str]:
    """Why a rule cannot be evaluated, by form field; empty when it is valid."""
    errors: dict[str, str] = {}
    if rule.field not in RuleField.values:
        errors["field"] = "Choose one of the listed account fields."
    if rule.operator not in RuleOperator.values:
        errors["operator"] = "Choose one of the listed operators."
    if errors:
        return errors
    values = split_values(rule.value) if rule.operator in ("in", "starts_with") else [rule.value]
    if not any(v.strip() for v in values):
        errors["value"] = "Enter a value."
    if rule.operator == RuleOperator.BETWEEN and not rule.value_to.strip():
        errors["value_to"] = "“Between” needs an upper bound too."
    if rule.field == RuleField.ANNUAL_POTENTIAL:
        if rule.operator == RuleOperator.STARTS_WITH:
            errors["operator"] = "“Starts with” applies to text fields, not to annual potential."
        bounds = values + ([rule.value_to] if rule.operator == RuleOperator.BETWEEN else [])
        try:
            cents = [to_cents(v) for v in bounds if v.strip()]
        except (InvalidOperation, ValueError):
            errors["value"] = "Annual potential rules need amounts, e.g. 250000 or 99.50."
        else:
            if rule.operator == RuleOperator.BETWEEN and len(cents) == 2 and cents[0] > cents[1]:
                errors["value_to"] = "The upper bound must not be below the lower bound."
    elif (
        rule.operator == RuleOperator.BETWEEN
        and rule.value_to.strip()
        and rule.value.strip().casefold() > rule.value_to.strip().casefold()
    ):
        errors["value_to"] = "The upper bound must not be below the lower bound."
    return errors


def _normalise(text: str) -> str:
    return text.strip().casefold()


def rule_mask(
    accounts: pd.DataFrame, rule: RuleSpec, prefixes_cache: dict | None = None
) -> np.ndarray:
    """Boolean array: which accounts (rows of ``accounts``) the rule matches.

    ``prefixes_cache`` keeps each column's prefixes of a given length across rules, so
    that slicing 50,000 strings happens once per (field, length), not once per rule.
    """
    op = rule.operator
    if rule.field == RuleField.ANNUAL_POTENTIAL:
        column = accounts["potential_cents"].to_numpy()
        if op == RuleOperator.IN:
            return np.isin(column, [to_cents(v) for v in split_values(rule.value)])
        low = to_cents(rule.value)
        if op == RuleOperator.EQUALS:
            return column == low
        if op == RuleOperator.GTE:
            return column >= low
        if op == RuleOperator.LTE:
            return column <= low
        if op == RuleOperator.BETWEEN:
            return (column >= low) & (column <= to_cents(rule.value_to))
        raise ValueError(f"Operator {op} does not apply to annual potential.")

    column = accounts[rule.field]  # Already normalised by accounts_frame().
    if op == RuleOperator.EQUALS:
        return (column == _normalise(rule.value)).to_numpy()
    if op == RuleOperator.IN:
        return column.isin([_normalise(v) for v in split_values(rule.value)]).to_numpy()
    if op == RuleOperator.STARTS_WITH:
        # One vectorised set lookup per prefix length, instead of testing every
        # prefix against every account: rules with hundreds of postal-code prefixes
        # are common.
        by_length: dict[int, set[str]] = {}
        for prefix in (_normalise(v) for v in split_values(rule.value)):
            by_length.setdefault(len(prefix), set()).add(prefix)
        mask = np.zeros(len(column), dtype=bool)
        cache = {} if prefixes_cache is None else prefixes_cache
        for length, prefixes in by_length.items():
            key = (rule.field, length)
            if key not in cache:
                cache[key] = column.str.slice(0, length)
            mask |= cache[key].isin(prefixes).to_numpy(dtype=bool)
        return mask
    if op == RuleOperator.GTE:
        return (column >= _normalise(rule.value)).to_numpy()
    if op == RuleOperator.LTE:
        return (column <= _normalise(rule.value)).to_numpy()
    if op == RuleOperator.BETWEEN:
        return (
            (column >= _normalise(rule.value)) & (column <= _normalise(rule.value_to))
        ).to_numpy()
    raise ValueError(f"Unknown operator {op}.")


def accounts_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """Build the engine's frame from (id, territory_id, country, region, postal_code,
    industry, annual_potential) tuples, normalising text once for every rule."""
    frame = pd.DataFrame.from_records(
        rows,
        columns=["id", "territory_id", *TEXT_FIELDS, "annual_potential"],
    )
    for name in TEXT_FIELDS:
        frame[name] = frame[name].fillna("").astype(str).str.strip().str.casefold()
    frame["potential_cents"] = [to_cents(value) for value in frame["annual_potential"]]
    frame["potential_cents"] = frame["potential_cents"].astype("int64")
    frame["territory_id"] = frame["territory_id"].fillna(NO_TERRITORY).astype("int64")
    return frame


def evaluate(accounts: pd.DataFrame, rules: Sequence[RuleSpec]) -> Plan:
    """Decide every account's territory under ``rules``. Reads nothing, writes nothing."""
    plan = Plan(evaluated=len(accounts))
    if accounts.empty or not rules:
        return plan

    cache: dict = {}
    matches = np.column_stack([rule_mask(accounts, rule, cache) for rule in rules])
    priorities = np.array([rule.priority for rule in rules], dtype=np.int64)
    territories = np.array([rule.territory_id for rule in rules], dtype=np.int64)
    never = np.iinfo(np.int64).max

    best = np.where(matches, priorities, never).min(axis=1)
    matched = best != never
    winners = matches & (priorities[None, :] == best[:, None])
    lowest = np.where(winners, territories, never).min(axis=1)
    highest = np.where(winners, territories, -1).max(axis=1)
    conflict = matched & (lowest != highest)
    decided = matched & ~conflict

    ids = accounts["id"].to_numpy()
    current = accounts["territory_id"].to_numpy()
    moving = decided & (lowest != current)

    plan.matched = int(matched.sum())
    plan.unchanged = int((decided & ~moving).sum())
    plan.moves = [
        (int(account_id), None if old == NO_TERRITORY else int(old), int(new))
        for account_id, old, new in zip(ids[moving], current[moving], lowest[moving], strict=True)
    ]
    for row in np.flatnonzero(conflict):
        plan.conflicts.append((int(ids[row]), sorted({int(t) for t in territories[winners[row]]})))
    return plan
