"""Login, registration and password reset are throttled per IP and per account."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update(
        {
            "login_ip": "5/min",
            "login_account": "3/min",
            "registration_ip": "3/min",
            "registration_account": "2/min",
            "password_reset_ip": "4/min",
            "password_reset_account": "2/min",
        }
    )
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    return rates


def post_login(client, email, ip="10.0.0.1"):
    return client.post(
        "/api/auth/login/",
        {"email": email, "password": "wrong password, again"},
        format="json",
        REMOTE_ADDR=ip,
    )


def test_login_attempts_against_one_account_are_limited_from_any_ip(api_client, tight_rates):
    UserFactory(email="target@example.com")

    answers = [
        post_login(api_client, "Target@example.com", ip=f"10.0.0.{i}").status_code for i in range(4)
    ]

    assert answers == [400, 400, 400, 429]


def test_login_attempts_from_one_ip_are_limited_across_accounts(api_client, tight_rates):
    answers = [post_login(api_client, f"u{i}@example.com").status_code for i in range(6)]

    assert answers == [400] * 5 + [429]


def test_throttled_answer_has_the_contract_shape_and_retry_after(api_client, tight_rates):
    for _ in range(3):
        post_login(api_client, "target@example.com")

    response = post_login(api_client, "target@example.com")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_another_ip_and_account_are_not_affected(api_client, tight_rates):
    for i in range(5):
        post_login(api_client, f"u{i}@example.com", ip="10.0.0.1")

    assert post_login(api_client, "fresh@example.com", ip="10.0.0.2").status_code == 400


def test_registration_is_throttled_per_ip(api_client, tight_rates):
    def register(i):
        password = "plum-kettle-orbit-47"
        return api_client.post(
            "/api/auth/registration/",
            {"email": f"r{i}@example.com", "password1": password, "password2": password},
            format="json",
            REMOTE_ADDR="10.9.9.9",
        ).status_code

    assert [register(i) for i in range(4)] == [201, 201, 201, 429]


def test_registration_is_throttled_per_account(api_client, tight_rates):
    def register(ip):
        return api_client.post(
            "/api/auth/registration/",
            {"email": "same@example.com", "password1": "x", "password2": "x"},
            format="json",
            REMOTE_ADDR=ip,
        ).status_code

    assert [register(f"10.1.1.{i}") for i in range(3)] == [400, 400, 429]


def test_password_reset_is_throttled_per_account_and_per_ip(api_client, tight_rates):
    def reset(email, ip):
        return api_client.post(
            "/api/auth/password/reset/", {"email": email}, format="json", REMOTE_ADDR=ip
        ).status_code

    per_account = [reset("victim@example.com", f"10.2.2.{i}") for i in range(3)]
    per_ip = [reset(f"p{i}@example.com", "10.3.3.3") for i in range(5)]

    assert per_account == [200, 200, 429]
    assert per_ip == [200, 200, 200, 200, 429]
