from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from riskctl.core.inputs import NoControlCharacters


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(max=64), NoControlCharacters()]
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=256), NoControlCharacters()]
    )
