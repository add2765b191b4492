"""argon2id parameters are a deployment's choice: new hashes use them, old hashes still verify and are
replaced at the next sign-in."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from amparo.auth import passwords
from amparo.auth import service as auth_service
from amparo.auth.models import User
from amparo.auth.policy import Role
from amparo.config import load_settings
from builders import PASSWORD, make_user

#: OWASP's "m=19456 (19 MiB), t=2, p=1": cheaper than the default, still above the settings' floor.
OWASP_MINIMUM = {"password_memory_kib": 19456, "password_time_cost": 2, "password_parallelism": 1}


@pytest.fixture
def restore_parameters():
    before = passwords.parameters()
    yield
    passwords.configure(*before)


def test_new_hashes_follow_the_configured_parameters(restore_parameters):
    default = extract_parameters(passwords.hash_password("x"))
    assert (default.memory_cost, default.time_cost, default.parallelism) == (65536, 3, 4)
    passwords.configure_from(load_settings(**OWASP_MINIMUM))
    made = extract_parameters(passwords.hash_password("x"))
    assert (made.memory_cost, made.time_cost, made.parallelism) == (19456, 2, 1)


def test_a_hash_made_before_a_change_still_signs_in_and_is_replaced(session, restore_parameters):
    user = make_user(session, Role.CASEWORKER)  # hashed with the defaults
    old_hash = user.password_hash
    settings = load_settings(**OWASP_MINIMUM)
    passwords.configure_from(settings)
    issued = auth_service.login(session, settings, user.username, PASSWORD, "127.0.0.1")
    assert isinstance(issued, auth_service.IssuedToken)
    stored = session.get(User, user.id).password_hash
    assert stored != old_hash and extract_parameters(stored).memory_cost == 19456
    assert passwords.verify_password(stored, PASSWORD) and not passwords.verify_password(stored, "wrong")
