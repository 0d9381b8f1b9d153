"""What settings are declared with: the error a bad value raises, the declaration of a setting
(section, meaning, check, whether it restates, reaches dbt or is a secret), and the vendor
sources' sections, [amazon_connect], [zendesk] and [qualtrics]: where a vendor record keeps
what ccpipe reads. ccpipe.settings composes them into the settings in force."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it, its value and where it came from."""


def at_least(low: float) -> Callable[[Any], str | None]:
    return lambda value: None if value >= low else f"must be at least {low:g}"


def setting(
    default: Any,
    section: str,
    about: str,
    check: Callable[[Any], str | None] | None = None,
    restates: bool = False,
    dbt: bool = False,
    secret: bool = False,
    parse: Callable[[Any], Any] | None = None,
) -> Any:
    """A setting's declaration: its default, its section of settings.toml, what it means and
    how it is checked; a `parse` of its own for values that are tables (TOML, or JSON text in
    the environment)."""
    metadata = {"section": section, "about": about, "check": check, "parse": parse}
    metadata |= {"restates": restates, "dbt": dbt, "secret": secret}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


# --------------------------------------------------------------------------- vendor sources

CHANNELS = ("email", "chat", "web", "social", "phone")
SURVEY_TYPES = ("csat", "ces", "nps", "fcr")


def _name(value: str) -> str | None:
    if not value or '"' in value:
        return "must name an attribute or column (without double quotes)"
    return None


def _channels(value: dict[str, str]) -> str | None:
    wrong = sorted(f"{k}={v}" for k, v in value.items() if v not in CHANNELS)
    return (
        f"maps to unknown channel(s) {', '.join(wrong)}; channels: {', '.join(CHANNELS)}"
        if wrong
        else None
    )


def _text_table(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError
    return {str(k).strip().lower(): str(v).strip().lower() for k, v in value.items()}


@dataclass(frozen=True)
class Question:
    """What a Qualtrics export tag holds: a score (`survey_type` on [scale_min, scale_max],
    its recode values read through `values` when given), the response's `comment`, or
    nothing ccpipe reads (`ignore`)."""

    kind: str  # score | comment | ignore
    survey_type: str | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    values: tuple[tuple[str, int], ...] = ()

    def __str__(self) -> str:
        if self.kind != "score":
            return self.kind
        recoded = ", ".join(f"{k}->{v}" for k, v in self.values)
        return f"{self.survey_type} {self.scale_min}-{self.scale_max}" + (
            f" ({recoded})" if recoded else ""
        )

    def as_json(self) -> Any:
        return str(self)


def _question(tag: str, value: Any) -> Question:
    if value in ("comment", "ignore"):
        return Question(value)
    problem = f'{tag} must be "comment", "ignore" or {{ survey_type = ..., scale = [min, max] }}'
    if not isinstance(value, dict) or set(value) - {"survey_type", "scale", "values"}:
        raise SettingsError(problem)
    survey_type, scale = value.get("survey_type"), value.get("scale")
    if survey_type not in SURVEY_TYPES:
        raise SettingsError(
            f"{tag}: survey_type {survey_type!r} is not one of {', '.join(SURVEY_TYPES)}"
        )
    if not (isinstance(scale, list) and len(scale) == 2 and all(type(n) is int for n in scale)):
        raise SettingsError(f"{tag}: scale must be [min, max], two whole numbers")
    if scale[0] >= scale[1]:
        raise SettingsError(f"{tag}: scale {scale} must run from a lower to a higher score")
    values = value.get("values", {})
    if not isinstance(values, dict) or not all(type(n) is int for n in values.values()):
        raise SettingsError(f'{tag}: values must map recode values to scores, e.g. {{ "2" = 0 }}')
    recoded = tuple(sorted((str(k), n) for k, n in values.items()))
    return Question("score", survey_type, scale[0], scale[1], recoded)


def _questions(value: Any) -> dict[str, Question]:
    if not isinstance(value, dict):
        raise ValueError
    return {str(tag): _question(str(tag), spec) for tag, spec in value.items()}


@dataclass(frozen=True)
class AmazonConnectSettings:
    """[amazon_connect]: the contact attributes (Attributes) holding what a record lacks."""

    customer_attribute: str = setting(
        "CustomerId", "amazon_connect", "contact attribute holding the CRM customer id", _name
    )
    category_attribute: str = setting(
        "ContactReason", "amazon_connect", "contact attribute holding the issue category", _name
    )
    resolved_attribute: str = setting(
        "Resolved", "amazon_connect", "contact attribute: the agent's resolved flag", _name
    )
    voicemail_attribute: str = setting(
        "Voicemail",
        "amazon_connect",
        "contact attribute: true when the caller left voicemail",
        _name,
    )


@dataclass(frozen=True)
class ZendeskSettings:
    """[zendesk]: where a ticket keeps its category and originating call, extra channels."""

    category_field_id: int = setting(
        0,
        "zendesk",
        "custom field holding the issue category (0: use the tag prefix)",
        at_least(0),
    )
    category_tag_prefix: str = setting(
        "", "zendesk", "tag prefix naming the issue category (cat_billing: billing)"
    )
    origin_call_field_id: int = setting(
        0,
        "zendesk",
        "custom field holding the call a ticket was opened from (0: none)",
        at_least(0),
    )
    channels: dict[str, str] = setting(
        {}, "zendesk", "extra via.channel mappings (api = web)", _channels, parse=_text_table
    )
    require_external_id: bool = setting(
        False, "zendesk", "a requester without external_id is anonymous", restates=True, dbt=True
    )


@dataclass(frozen=True)
class QualtricsSettings:
    """[qualtrics]: the question map and the embedded-data columns naming contact and customer."""

    questions: dict[str, Question] = setting(
        {}, "qualtrics", "export tag -> survey type and scale, comment or ignore", parse=_questions
    )
    contact_column: str = setting(
        "ContactId", "qualtrics", "embedded-data column naming the rated call or ticket", _name
    )
    contact_type_column: str = setting(
        "ContactType", "qualtrics", "embedded-data column saying call or ticket", _name
    )
    customer_column: str = setting(
        "ExternalReference", "qualtrics", "column naming the respondent (customer)", _name
    )
    keep_partial: bool = setting(
        False, "qualtrics", "count unfinished responses (Finished 0)", restates=True, dbt=True
    )


VENDOR_SECTIONS = {
    "amazon_connect": AmazonConnectSettings,
    "zendesk": ZendeskSettings,
    "qualtrics": QualtricsSettings,
}


def check_vendor_settings(settings: Any) -> None:
    """What an active vendor source needs before its first file is read."""
    zendesk, qualtrics = settings.zendesk, settings.qualtrics
    if "zendesk" in settings.sources and not (
        zendesk.category_field_id or zendesk.category_tag_prefix
    ):
        raise SettingsError(
            "sources names zendesk, so [zendesk] needs category_field_id or category_tag_prefix "
            "(where a ticket keeps its issue category)"
        )
    if "qualtrics" in settings.sources and not any(
        q.kind == "score" for q in qualtrics.questions.values()
    ):
        raise SettingsError(
            "sources names qualtrics, so [qualtrics.questions] must map at least one export tag "
            'to a survey type and scale, e.g. Q1 = { survey_type = "csat", scale = [1, 5] }'
        )
