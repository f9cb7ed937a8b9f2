"""The clinic's own block (name, "Questions? Call …", address, website, logo) and the QR
code to the language's download page: what the PDF, web page and EPUB templates show
at the end of a handout, from `[clinic]` and `[publishing] base_url` in handouts.toml.

Both are optional. The QR code (segno) is drawn as inline SVG with a <title>, which
WeasyPrint tags as a Figure with that text as /Alt; it is printed only (a reader of the
e-book or the web page is already there), with the address under it in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from pipeline.core.job import CLINIC_LOGO_RESOURCE, Job
from pipeline.core.uitext import CLINIC_LOGO, CLINIC_QUESTIONS, QR_DESCRIPTION, QR_INVITATION, UI_SOURCE_LANGUAGE


@dataclass(frozen=True)
class ClinicBlock:
    name: str
    questions: Markup  # the translated sentence, the phone number as written (a tel: link when valid)
    address: str
    website: str
    logo_src: str
    logo_alt: str


@dataclass(frozen=True)
class QrBlock:
    url: str
    svg: Markup
    invitation: str


def download_page(job: Job) -> str | None:
    """The language's page of the download site, where its narration and e-book are."""
    base = job.config.base_url
    return f"{base}/{job.facts.tag}/" if base else None


def clinic_block(job: Job, logo_src) -> ClinicBlock | None:
    """The clinic as the templates show it; `logo_src(resource)` says how this output refers
    to the logo (the job carries its bytes: a writer reads no file)."""
    clinic = job.config.clinic
    if clinic is None:
        return None
    # Kept on one line, and a tel: link where the number is valid.
    phone = Markup('<span class="phone" dir="ltr">%s</span>') % clinic.phone
    href = tel_uri(clinic.phone)
    if href:
        phone = Markup('<a href="%s">%s</a>') % (href, phone)
    # logo_alt is the clinic's own words, in the template words' language; a translated
    # handout says "Logo of …" in its language instead (it never falls back to English).
    same_language = job.facts.tag.split("-")[0] == UI_SOURCE_LANGUAGE
    alt = clinic.logo_alt if same_language else job.ui.gettext(CLINIC_LOGO, clinic=clinic.name)
    return ClinicBlock(
        name=clinic.name,
        questions=job.ui.markup(CLINIC_QUESTIONS, clinic=clinic.name, phone=phone),
        address=clinic.address,
        website=clinic.website,
        logo_src=logo_src(logo) if (logo := job.resources.get(CLINIC_LOGO_RESOURCE)) else "",
        logo_alt=alt,
    )


def qr_block(job: Job) -> QrBlock | None:
    url = download_page(job)
    if url is None:
        return None
    import segno

    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, title=job.ui.gettext(QR_DESCRIPTION),
                          svgclass="qr-code", lineclass=None)
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return QrBlock(url=url, svg=Markup(svg), invitation=job.ui.gettext(QR_INVITATION))


def tel_uri(phone: str) -> str | None:
    """`tel:+16175550100` for a number that is valid as dialled in the US or with its
    country code; None otherwise (it is then printed, not linked)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def key_parts(job: Job) -> dict[str, str]:
    """What of the clinic and the publishing address decides an output (for the build cache;
    the logo's bytes are among the job's resources, which every key hashes)."""
    clinic = job.config.clinic
    parts = {"base_url": job.config.base_url or ""}
    if clinic is not None:
        parts["clinic"] = repr((clinic.name, clinic.phone, clinic.address, clinic.website, clinic.logo_alt))
    return parts
