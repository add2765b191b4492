"""Forms are Pydantic models; a failed form comes back with each error beside its field.

A POST view takes its form as a `PostedForm` parameter and checks it with `validate_form` (as a GET
view checks its query), and hands the `FormState` to its template, where the `forms.html` macros draw each field with its label, the
person's input, its error (`aria-invalid`, `aria-describedby`) and, above the form, an error summary
(`role="alert"`) linking to each field. Labels come from the model (`Field(title=N_("State"))`), so
one string names the field in the summary and beside the input.

Error messages are written per Pydantic error type and translated at render time; a validator
raises `form_error(N_("..."), **values)` for a message of its own.

Example:
    class LookupForm(BaseModel):
        state: str = Field(min_length=1, title=N_("State"))

    form, state = validate_form(LookupForm, request.query_params)
    if form is None:
        return render(request, "page.html", {"form": state}, status_code=422)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from amparo.web.csrf import CSRF_FIELD
from amparo.web.i18n import N_, gettext

Model = TypeVar("Model", bound=BaseModel)

#: Fields whose input is never sent back to the browser.
SECRET_FIELDS = frozenset({"password", "new_password", "password_confirmation", CSRF_FIELD})

#: Message for each Pydantic error type we expect on forms; `{...}` are the error's context values.
MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("Use at most {max_length} characters."),
    "string_type": N_("Enter text."),
    "date_from_datetime_parsing": N_("Enter a date as year-month-day, for example 2026-02-03."),
    "date_parsing": N_("Enter a date as year-month-day, for example 2026-02-03."),
    "date_type": N_("Enter a date as year-month-day, for example 2026-02-03."),
    "int_parsing": N_("Enter a whole number, for example 3."),
    "greater_than_equal": N_("Enter a number of at least {ge}."),
    "less_than_equal": N_("Enter a number of at most {le}."),
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "bool_parsing": N_("Choose yes or no."),
    "value_error": N_("This value is not valid."),
}
FALLBACK = N_("This value is not valid.")
FORM_ERROR_TYPE = "amparo_form"


class WebForm(BaseModel):
    """Base class for forms: surrounding spaces are dropped, unknown fields (the CSRF token, the
    submit button) ignored."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    #: Labels (marked with `N_`) of the form's file inputs, which are read from the upload, not
    #: validated by the model, so have no field whose `title` would name them in the error summary.
    file_labels: ClassVar[dict[str, str]] = {}


def form_error(message: str, **values: Any) -> PydanticCustomError:
    """An error for a validator to raise: `message` is an English msgid marked with `N_`, translated
    when the form is shown; `values` fill its `{placeholders}`."""
    return PydanticCustomError(FORM_ERROR_TYPE, message, {"msgid": message, **values})


def _message(error: Mapping[str, Any]) -> str:
    ctx = dict(error.get("ctx") or {})
    if error.get("type") == FORM_ERROR_TYPE:
        msgid = ctx.pop("msgid")
    elif error.get("type") == "string_too_short" and int(ctx.get("min_length", 1)) > 1:
        msgid = N_("Use at least {min_length} characters.")
    else:
        msgid = MESSAGES.get(str(error.get("type")), FALLBACK)
    text = gettext(msgid)
    try:
        return text.format(**{key: value for key, value in ctx.items() if isinstance(value, (str, int, float))})
    except (KeyError, IndexError, ValueError):
        return gettext(FALLBACK)


@dataclass
class FormState:
    """What a template needs to redraw a form: the input as typed, the errors, the labels."""

    model: type[BaseModel]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def value(self, name: str) -> str:
        """The person's input for `name`, as typed (never for secret fields)."""
        return "" if name in SECRET_FIELDS else self.values.get(name, "")

    def label(self, name: str) -> str:
        """The field's label in the current language, from the model's `title`."""
        info = self.model.model_fields.get(name)
        if info is not None and info.title:
            return gettext(info.title)
        file_label = getattr(self.model, "file_labels", {}).get(name)
        return gettext(file_label) if file_label else gettext(name.replace("_", " ").capitalize())

    def hint(self, name: str) -> str:
        """The field's hint in the current language, from the model's `description` (or "")."""
        info = self.model.model_fields.get(name)
        return gettext(info.description) if info is not None and info.description else ""

    def add_error(self, name: str, message: str) -> None:
        """Attach an error found after validation (a service's answer) to a field."""
        self.errors.setdefault(name, []).append(message)

    def error_id(self, name: str) -> str:
        return f"{name}-error"

    def hint_id(self, name: str) -> str:
        return f"{name}-hint"

    def described_by(self, name: str) -> str:
        """The `aria-describedby` value: the hint, then the error, whichever exist."""
        ids = []
        if self.hint(name):
            ids.append(self.hint_id(name))
        if name in self.errors:
            ids.append(self.error_id(name))
        return " ".join(ids)

    def summary(self) -> list[tuple[str, str, str]]:
        """(field name, label, message) for every error, in the order the fields are declared."""
        order = {name: index for index, name in enumerate(self.model.model_fields)}
        rows = []
        for name in sorted(self.errors, key=lambda n: order.get(n, len(order))):
            for message in self.errors[name]:
                rows.append((name, self.label(name), message))
        return rows


def _raw_values(data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key in data:
        value = data.get(key)
        if isinstance(value, str):
            values[key] = value
        elif isinstance(value, UploadFile):
            values[key] = value.filename or ""
    return values


def blank_form(model: type[BaseModel], **initial: str) -> FormState:
    """A form not yet submitted, with optional initial values."""
    return FormState(model=model, values=dict(initial))


def validate_form(model: type[Model], data: Mapping[str, Any]) -> tuple[Model | None, FormState]:
    """Validate `data` (query parameters or form fields) against `model`.

    Returns:
        The validated model (None when invalid) and the `FormState` to redraw the form with.
    """
    values = _raw_values(data)
    fields = {name: data.get(name) for name in model.model_fields if name in data}
    # An empty text box means "not given", so optional fields take their default.
    fields = {name: value for name, value in fields.items() if value != "" or model.model_fields[name].is_required()}
    state = FormState(model=model, values=values)
    try:
        return model.model_validate(fields), state
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc") or ("__root__",)
            state.add_error(str(loc[0]), _message(error))
        return None, state


async def _posted_form(request: Request) -> FormData:
    """The request's form fields and files, read on the event loop (the CSRF check has usually read
    them already; Starlette keeps them on the request)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]
"""A POST view's form, as a parameter. Views that take it are plain `def`s, which FastAPI runs in
its thread pool: their database work, password hashing and rule checks never hold up the event
loop, where every other request of the worker is waiting. Validate it with `validate_form`."""
