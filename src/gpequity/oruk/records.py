"""Our directory record and its mapping to and from an Open Referral UK service.

A ``ServiceRecord`` holds one service as we keep it: the ORUK fields, the extension
properties we add (see ADR 19) and, in ``extra``, every ORUK field we do not model (funding,
service areas, organisation identifiers...), so that ``to_oruk(from_oruk(doc))`` gives the
document back, less fields without a value, and ``from_oruk(to_oruk(record)) == record``.

Nested parts keep their ORUK ids. Attribute names are the ORUK names, except for our own
extension properties, which are ``gpequity_...`` in JSON (``_keys`` maps them).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Extension properties (ADR 19): HSDS 3.0 names where HSDS 3.0 has the field, else ours.
EXTENSIONS = {
    "eligibility_description": "Who can use the service, in words (HSDS 3.0 field).",
    "wait_time": "How long people usually wait (HSDS 3.0 field).",
    "application_process": "How to get the service, in words (HSDS 3.0 field).",
    "phones": "Phone numbers of the service or a contact: number, description (HSDS 3.0).",
    "languages[].code": "ISO 639-1 (or 639-3) language code (HSDS 3.0 field).",
    "languages[].name": "The language's English name (HSDS 3.0 field).",
    "contacts[].email": "A contact's email address (HSDS 3.0 field).",
    "gpequity_access_routes": "Any of self_referral, professional_referral, signposting.",
    "gpequity_referral_form_url": "Where the referral form is.",
    "gpequity_groups": "Groups the service is for (the toolkit's group keys, e.g. carer).",
    "gpequity_toolkit_actions": "Toolkit actions the service supports (e.g. NET_01).",
}

ACCESS_ROUTES = {
    "self_referral": "People can refer themselves",
    "professional_referral": "A professional refers them",
    "signposting": "Signposting: we tell people about it",
}
STATUSES = {
    "active": "Active",
    "inactive": "Inactive",
    "defunct": "Closed for good",
    "temporarily closed": "Temporarily closed",
}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = dict(
    zip(
        DAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)

# ISO 639-1 codes of languages often spoken in England, with their English names.
LANGUAGES = {
    "en": "English",
    "ar": "Arabic",
    "bn": "Bengali",
    "bg": "Bulgarian",
    "yue": "Cantonese",
    "zh": "Chinese",
    "cs": "Czech",
    "fa": "Persian (Farsi)",
    "fr": "French",
    "de": "German",
    "el": "Greek",
    "gu": "Gujarati",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "it": "Italian",
    "ku": "Kurdish",
    "lv": "Latvian",
    "lt": "Lithuanian",
    "ms": "Malay",
    "ml": "Malayalam",
    "cmn": "Mandarin",
    "ne": "Nepali",
    "ps": "Pashto",
    "pl": "Polish",
    "pt": "Portuguese",
    "pa": "Punjabi",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "so": "Somali",
    "es": "Spanish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "ti": "Tigrinya",
    "tr": "Turkish",
    "tw": "Twi",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "cy": "Welsh",
    "yo": "Yoruba",
    "sgn": "Sign language",
    "bfi": "British Sign Language",
}


def language_name(code: str, fallback: str = "") -> str:
    return LANGUAGES.get((code or "").lower(), fallback or code)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@functools.cache
def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]


@dataclass
class Part:
    """Base of every record part: known fields as attributes, the rest kept in ``extra``."""

    _nested: ClassVar[dict[str, tuple[type, bool]]] = {}  # attr -> (class, is_list)
    _keys: ClassVar[dict[str, str]] = {}  # attr -> JSON key when they differ

    @classmethod
    def _fields(cls) -> list[str]:
        return _field_names(cls)

    @classmethod
    def load(cls, data: dict[str, Any]):
        attr_for = {cls._keys.get(name, name): name for name in cls._fields()}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            name = attr_for.get(key)
            if name is None:
                extra[key] = value
            elif name in cls._nested and value is not None:
                sub, many = cls._nested[name]
                if many and isinstance(value, list):
                    kwargs[name] = [sub.load(v) if isinstance(v, dict) else v for v in value]
                elif not many and isinstance(value, dict):
                    kwargs[name] = sub.load(value)
                else:
                    extra[key] = value  # the wrong shape: kept, and the schema will say so
            else:
                kwargs[name] = value
        obj = cls(**kwargs)
        obj.extra = extra
        return obj

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._fields():
            value = getattr(self, name)
            if isinstance(value, Part):
                value = value.dump()
            elif isinstance(value, list):
                value = [v.dump() if isinstance(v, Part) else v for v in value]
            if not _empty(value):
                out[self._keys.get(name, name)] = value
        for key, value in self.extra.items():
            if not _empty(value) and key not in out:
                out[key] = value
        return out


@dataclass
class Phone(Part):
    id: str = ""
    number: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Language(Part):
    id: str = ""
    code: str = ""
    name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or language_name(self.code)


@dataclass
class CostOption(Part):
    id: str = ""
    valid_from: str = ""
    valid_to: str = ""
    option: str = ""
    amount: float | int | None = None
    amount_description: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Schedule(Part):
    id: str = ""
    service_at_location_id: str = ""
    valid_from: str = ""
    valid_to: str = ""
    dtstart: str = ""
    freq: str = ""
    interval: float | int | None = None
    byday: str = ""
    bymonthday: str = ""
    description: str = ""
    opens_at: str = ""
    closes_at: str = ""
    schedule_link: str = ""
    attending_type: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def days(self) -> list[str]:
        return [d.strip()[-2:].upper() for d in self.byday.split(",") if d.strip()]


@dataclass
class Contact(Part):
    _nested: ClassVar = {"phones": (Phone, True)}
    id: str = ""
    name: str = ""
    title: str = ""
    email: str = ""
    phones: list[Phone] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass
class Address(Part):
    id: str = ""
    attention: str = ""
    address_1: str = ""
    city: str = ""
    region: str = ""
    state_province: str = ""
    postal_code: str = ""
    country: str = ""
    address_type: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Accessibility(Part):
    id: str = ""
    description: str = ""
    details: str = ""
    url: str = ""
    accessibility: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Location(Part):
    _nested: ClassVar = {"addresses": (Address, True), "accessibility": (Accessibility, True)}
    id: str = ""
    location_type: str = ""
    name: str = ""
    description: str = ""
    latitude: float | int | None = None
    longitude: float | int | None = None
    external_identifier: str = ""
    external_identifier_type: str = ""
    addresses: list[Address] = field(default_factory=list)
    accessibility: list[Accessibility] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass
class ServiceAtLocation(Part):
    _nested: ClassVar = {"location": (Location, False)}
    id: str = ""
    location: Location | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class TaxonomyTerm(Part):
    id: str = ""
    name: str = ""
    description: str = ""
    parent_id: str = ""
    taxonomy: str = ""
    taxonomy_id: str = ""
    term_uri: str = ""
    term: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Attribute(Part):
    _nested: ClassVar = {"taxonomy_term": (TaxonomyTerm, False)}
    id: str = ""
    taxonomy_term_id: str = ""
    link_type: str = ""
    taxonomy_term: TaxonomyTerm | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Organisation(Part):
    id: str = ""
    name: str = ""
    description: str = ""
    email: str = ""
    website: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class ServiceRecord(Part):
    _nested: ClassVar = {
        "organization": (Organisation, False),
        "phones": (Phone, True),
        "languages": (Language, True),
        "cost_options": (CostOption, True),
        "schedules": (Schedule, True),
        "contacts": (Contact, True),
        "service_at_locations": (ServiceAtLocation, True),
        "attributes": (Attribute, True),
    }
    _keys: ClassVar = {
        "access_routes": "gpequity_access_routes",
        "referral_form_url": "gpequity_referral_form_url",
        "groups": "gpequity_groups",
        "toolkit_actions": "gpequity_toolkit_actions",
    }
    id: str = ""
    organization_id: str = ""
    name: str = ""
    description: str = ""
    url: str = ""
    email: str = ""
    status: str = ""
    fees: str = ""
    accreditations: str = ""
    minimum_age: float | int | None = None
    maximum_age: float | int | None = None
    assured_date: str = ""
    assurer_email: str = ""
    alert: str = ""
    last_modified: str = ""
    eligibility_description: str = ""
    wait_time: str = ""
    application_process: str = ""
    access_routes: list[str] = field(default_factory=list)
    referral_form_url: str = ""
    groups: list[str] = field(default_factory=list)
    toolkit_actions: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    service_at_locations: list[ServiceAtLocation] = field(default_factory=list)
    languages: list[Language] = field(default_factory=list)
    organization: Organisation | None = None
    cost_options: list[CostOption] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    # Derived views used by search and the pages.
    @property
    def organisation_name(self) -> str:
        return self.organization.name if self.organization else ""

    @property
    def locations(self) -> list[Location]:
        return [s.location for s in self.service_at_locations if s.location is not None]

    @property
    def terms(self) -> list[TaxonomyTerm]:
        return [a.taxonomy_term for a in self.attributes if a.taxonomy_term is not None]

    @property
    def postcodes(self) -> list[str]:
        return [a.postal_code for loc in self.locations for a in loc.addresses if a.postal_code]

    @property
    def is_free(self) -> bool:
        """Free when it lists no cost, or every cost option is 0 (our forms say "free")."""
        amounts = [c.amount for c in self.cost_options]
        if self.fees.strip().lower() not in ("", "free", "none", "no charge"):
            return False
        return all(a is None or a == 0 for a in amounts)


def from_oruk(doc: dict[str, Any]) -> ServiceRecord:
    """An ORUK service document (validated or not) as our record; ``organization_id`` is
    taken from the nested organisation when the document leaves it out."""
    record = ServiceRecord.load(doc)
    if not record.organization_id and record.organization and record.organization.id:
        record.organization_id = record.organization.id
    return record


def to_oruk(record: ServiceRecord) -> dict[str, Any]:
    """Our record as an ORUK service document: optional fields without a value left out,
    ``organization_id`` filled from the organisation when missing."""
    return record.dump()


LIST_FIELDS = (
    "id",
    "organization_id",
    "name",
    "description",
    "url",
    "email",
    "status",
    "fees",
    "accreditations",
    "minimum_age",
    "maximum_age",
    "assured_date",
    "assurer_email",
    "alert",
    "last_modified",
)


def to_list_item(record: ServiceRecord) -> dict[str, Any]:
    """The one-to-one fields of a service, as the paged ``/services`` list carries them."""
    full = to_oruk(record)
    out = {k: full[k] for k in LIST_FIELDS if k in full}
    if record.organization is not None:
        org = record.organization.dump()
        out["organization"] = {k: v for k, v in org.items() if not isinstance(v, list)}
    return out
