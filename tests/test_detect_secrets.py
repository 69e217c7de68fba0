"""Credential detectors: true positives, the anchors' known false positives, and masking."""

from __future__ import annotations

import pytest

from pytest_ctrsec.detect.secrets import (
    REF,
    is_credential_name,
    literal_view,
    scan_command,
    scan_pair,
    scan_value,
)

CREDENTIAL_NAMES = [
    "DB_PASSWORD", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "dbPassword", "DBPASSWORD",
    "HTPASSWD", "SMTP_PASS", "SMTP_PWD", "GPG_PASSPHRASE", "GITHUB_TOKEN", "authToken",
    "CLIENT_SECRET", "SECRET_KEY_BASE", "OPENAI_API_KEY", "stripeApiKey", "APIKEY",
    "AWS_SECRET_ACCESS_KEY", "PRIVATE_KEY", "ENCRYPTION_KEY", "GOOGLE_CREDENTIALS",
    "PASSWORD_SALT", "SENTRY_DSN", "VAULT_SECRET_ID", "NPM_TOKENS", "app.secret",
    "AIRFLOW__CORE__FERNET_KEY", "fernetKey",
]
NOT_CREDENTIAL_NAMES = [
    # Dockle / Docker Hub images: public key fingerprints and pins are not secrets.
    "GPG_KEY", "GPG_KEYS", "PYTHON_GPG_KEY", "NODE_GPG_KEYS", "KEYCLOAK_VERSION",
    "libcrypto3", "PYTHON_PIP_VERSION",
    # Substring traps: CC inside ACCESS, KEY alone, TOKENIZER.
    "CC", "ACCESS_LOG", "KEY", "TOKENIZER_NAME", "TOKENIZERS_PARALLELISM",
    # The value names a file, a setting or a switch, not the secret.
    "POSTGRES_PASSWORD_FILE", "DB_PASSWORD_PATH", "TOKEN_TTL", "JWT_SECRET_EXPIRES_IN",
    "PASSWORD_MIN_LENGTH", "SECRET_NAME", "OAUTH_TOKEN_URL", "AWS_ACCESS_KEY_ID",
    "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD", "NEXT_PUBLIC_API_KEY",
    "SSH_PUBLIC_KEY", "PWD", "OLDPWD", "PASSWORD_HASH_ALGORITHM", "BYPASS_PROXY",
    "PASSTHROUGH", "",
]


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_names(name: str) -> None:
    assert is_credential_name(name)


@pytest.mark.parametrize("name", NOT_CREDENTIAL_NAMES)
def test_names_that_are_not_credentials(name: str) -> None:
    assert not is_credential_name(name)


@pytest.mark.parametrize("value", [
    "hunter2hunter2", "changeme", "${DB_PASSWORD:-changeme}", "${PW-default1}", "12345678",
])
def test_literal_values_of_credential_names_are_hits(value: str) -> None:
    hits = scan_pair("DB_PASSWORD", value)
    assert [h.detector for h in hits] == ["credential-name"]


@pytest.mark.parametrize("value", [
    None, "", "${DB_PASSWORD}", "$DB_PASSWORD", "${DB_PASSWORD:?required}", "true", "no",
    "0", "1", "<your-password>", "{{ vault_db_password }}", "xxxxxxxx", "********",
    "/run/secrets/db_password", "REDACTED", "prefix-${PW}",
])
def test_references_switches_and_placeholders_are_not_hits(value: str | None) -> None:
    assert scan_pair("DB_PASSWORD", value) == []


def test_escaped_dollar_is_a_literal() -> None:
    # $$ is Compose's escape for a literal $: the value is written in the file.
    assert [h.detector for h in scan_pair("DB_PASSWORD", "$$ecretpass")] == ["credential-name"]
    assert literal_view("$$x") == "$x"


def test_escaped_references_are_left_to_the_container() -> None:
    # $${NAME} reaches the container as ${NAME}; in a command line $$NAME is expanded by the
    # container's shell too.
    assert scan_pair("DB_PASSWORD", "$${MYSQL_PASSWORD}") == []
    assert scan_command('redis-server --requirepass "$${REDIS_PASSWORD}"') == []
    assert scan_command("sh -c 'redis-server --requirepass $$REDIS_PASSWORD'") == []
    assert len(scan_command("redis-server --requirepass $$ecretpass1")) == 0  # a reference
    assert len(scan_command("redis-server --requirepass s$$cretpass1")) == 1


def test_k8s_references() -> None:
    assert scan_pair("DB_PASSWORD", "$(DB_PASSWORD)", syntax="k8s") == []
    assert scan_pair("DB_PASSWORD", "pa$(X)ss", syntax="k8s") == []
    assert len(scan_pair("DB_PASSWORD", "plainpass", syntax="k8s")) == 1


def test_final_values_have_no_references() -> None:
    # Values read from a running container are final: "$x" is part of the password.
    assert len(scan_pair("DB_PASSWORD", "${notref}", syntax=None)) == 1


PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END"
VALUE_CASES = [
    (PRIVATE_KEY, "private-key"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private-key"),
    ("-----BEGIN PRIVATE KEY-----", "private-key"),
    ("AKIAIOSFODNN7EXAMPLE", "aws-access-key-id"),
    ("key=ASIAY34FZKBOKMUTVV7A;", "aws-access-key-id"),
    ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "gcp-api-key"),
    ("ghp_" + "a" * 20 + "B" * 16, "github-token"),
    ("github_pat_" + "A1b2" * 12, "github-token"),
    ("glpat-" + "x1Y2z3" * 4, "gitlab-token"),
    ("xoxb-123456789012-abcdefABCDEF", "slack-token"),
    ("https://hooks.slack.com/services/T0001/B0002/abcdefXYZ123", "slack-webhook"),
    ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
    ("npm_" + "a1B2" * 9, "npm-token"),
    ("postgres://app:s3cretpw@db:5432/app", "url-password"),
    ("redis://:s3cretpw@cache:6379/0", "url-password"),
    ("amqp://guest:${RABBIT_PW:-guestpass}@mq//", "url-password"),
]


@pytest.mark.parametrize(("value", "detector"), VALUE_CASES)
def test_value_detectors(value: str, detector: str) -> None:
    hits = scan_value(value, "X")
    assert [h.detector for h in hits] == [detector]
    # The evidence never holds the secret part in clear.
    assert value not in hits[0].evidence
    assert "s3cretpw" not in hits[0].evidence and "guestpass" not in hits[0].evidence


@pytest.mark.parametrize("value", [
    "postgres://app:${DB_PW}@db/app", "postgres://${USER}:${PW}@db", "https://example.com:8443/x",
    "http://user@host/", "AKIAshort", "ghp_short", "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----", "mysql://root:@db/x", "https://x:****@host/",
    "libcrypto3=3.1.4-r1", "access.log = /var/log/php/access.log",
    "B42F6819007F00F88E364FD4036A9C25BF357DD4",  # a GPG fingerprint
])
def test_values_that_are_not_credentials(value: str) -> None:
    assert scan_value(value) == []


def test_name_hit_evidence_is_masked() -> None:
    (hit,) = scan_pair("API_TOKEN", "tok-9f8e7d6c5b4a")
    assert "9f8e7d6c5b4a" not in hit.evidence
    assert hit.evidence.startswith("to") and hit.key == "API_TOKEN"
    assert "9f8e7d6c5b4a" not in hit.summary


def test_value_detector_fires_whatever_the_name() -> None:
    hits = scan_pair("DATABASE_URL", "postgres://u:longpassword@db/x")
    assert [h.detector for h in hits] == ["url-password"]
    assert "longpassword" not in hits[0].evidence


def test_literal_view_marks_references() -> None:
    assert literal_view("${A}:${B:-dflt}:$C") == f"{REF}:dflt:{REF}"
    assert literal_view("no refs") == "no refs"
    assert literal_view("${A}", syntax=None) == "${A}"


@pytest.mark.parametrize(("command", "found"), [
    ("redis-server --requirepass s3cr3tpass", True),
    ("app --password=hunter2hunter2", True),
    ("app --db-password hunter2hunter2", True),
    ("app --password-file /run/secrets/pw", False),
    ("app --password ${PW}", False),
    ("app --token-ttl 3600", False),
    ("app --verbose --port 8080", False),
])
def test_command_lines(command: str, found: bool) -> None:
    hits = scan_command(command)
    assert bool(hits) is found
    for hit in hits:
        assert "hunter2hunter2" not in hit.evidence and "s3cr3tpass" not in hit.evidence


@pytest.mark.parametrize(("name", "value", "detectors"), [
    ("MAILER_DSN", "smtp://mailer:1025", []),
    # A Sentry DSN's key only lets a client send events: public by design.
    ("SENTRY_DSN", "https://3f2a9c1b7d8e4f5a@o123456.ingest.sentry.io/789", []),
    ("PDO_DSN", "mysql:host=db;dbname=app", []),
    ("SENTRY_DSN", "https://public:s3cretpart@sentry.example.com/1", ["url-password"]),
    ("DATABASE_DSN", "host=db user=app password=hunter2hunter2", ["credential-name"]),
])
def test_a_dsn_is_a_credential_only_with_a_password(name: str, value: str,
                                                    detectors: list[str]) -> None:
    assert [h.detector for h in scan_pair(name, value)] == detectors


@pytest.mark.parametrize(("command", "found"), [
    ("mysqladmin ping -h localhost -uroot -pexample", True),
    ("sh -c 'mysqldump -uroot -pS3cretR00tPw app > /backup/app.sql'", True),
    ("mariadb-admin ping -pS3cretPw", True),
    ("mysqladmin ping -uroot -p$$MYSQL_ROOT_PASSWORD", False),
    ("mysqladmin ping -uroot -p${MYSQL_ROOT_PASSWORD}", False),
    ("mysql -h db -P3306 -p", False),
    ("mkdir -p /data && exec app -pfoo", False),
    # a credential flag earlier in the line does not hide the client's -p
    ("mysqldump --password $$PW -pS3cretR00tPw app", True),
])
def test_mysql_clients_password_attached_to_p(command: str, found: bool) -> None:
    hits = scan_command(command, "command")
    assert bool(hits) is found
    assert all("S3cret" not in h.evidence and "example" not in h.evidence for h in hits)
