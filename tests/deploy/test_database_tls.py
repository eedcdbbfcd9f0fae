"""In AWS the functions talk to the database over TLS that checks the server's certificate and its name
(sslmode=verify-full) against the shipped CA bundle of Amazon RDS and RDS Proxy. Proven against a real Postgres
serving TLS with a certificate of our own making."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import boto3
import pytest
from chatbatch import db, secrets
from chatbatch.errors import DatabaseUnavailable
from chatbatch.settings import CommonSettings
from chatbatch_local.postgres import LocalPostgres
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws


def test_the_shipped_bundle_holds_the_rds_and_proxy_roots_none_expired():
    context = ssl.create_default_context(cafile=str(db.RDS_CA_BUNDLE))
    subjects = [dict(x[0] for x in cert["subject"])["commonName"] for cert in context.get_ca_certs()]
    assert "Amazon RDS us-east-1 Root CA RSA2048 G1" in subjects  # RDS instances
    assert "Amazon Root CA 1" in subjects  # RDS Proxy (ACM certificates)
    now = datetime.datetime.now(datetime.UTC)
    expired = [
        c["subject"] for c in context.get_ca_certs() if ssl.cert_time_to_seconds(c["notAfter"]) < now.timestamp()
    ]
    assert expired == []


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool, dns: str | None = None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_database():
    """A Postgres serving TLS for the name "localhost", its certificate signed by a CA of this test."""
    folder = Path(tempfile.mkdtemp(prefix="chatbatch-tls-"))
    folder.chmod(0o755)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("chatbatch test CA", ca_key, None, ca_key, ca=True)
    server = _certificate("localhost", server_key, ca.subject, ca_key, ca=False, dns="localhost")
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls = folder / "tls"
    tls.mkdir()
    (tls / "server.crt").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key = tls / "server.key"
    key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key.chmod(0o600)
    if os.geteuid() == 0:  # the cluster runs as postgres, who must own its key
        for path in (tls, tls / "server.crt", key):
            shutil.chown(path, "postgres", "postgres")
    cluster = LocalPostgres(
        folder / "data",
        durable=False,
        server_options=("ssl=on", f"ssl_cert_file={tls / 'server.crt'}", f"ssl_key_file={key}"),
    ).start()
    yield cluster, folder / "ca.pem"
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def aws_settings_for(tls_database):
    """CommonSettings as in AWS (a Secrets Manager secret), pointing at the TLS database."""
    cluster, _ = tls_database
    secrets.forget_cached_secrets()
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name="rds!tls", SecretString=json.dumps({"username": "chatbatch", "password": "x"}))[
            "ARN"
        ]

        def settings(**overrides) -> CommonSettings:
            fields = {"database_url": None, "db_secret_arn": arn, "db_host": "localhost", "db_port": cluster.port}
            return CommonSettings(**{**fields, **overrides})

        yield settings
    secrets.forget_cached_secrets()


def ssl_in_use(settings: CommonSettings) -> bool:
    database = db.Database(db.connect_params_from_settings(settings))
    try:
        return database.transaction(
            lambda cur: (cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), cur.fetchone()[0])[1]
        )
    finally:
        database.close()


def test_a_server_whose_certificate_chains_to_the_configured_ca_is_reached_over_tls(aws_settings_for, tls_database):
    _, test_ca = tls_database
    assert ssl_in_use(aws_settings_for(db_ssl_root_cert=str(test_ca))) is True


def test_a_server_the_rds_bundle_does_not_vouch_for_is_refused(aws_settings_for):
    # Given the default: the shipped RDS bundle, which knows nothing of this test's CA
    with pytest.raises(DatabaseUnavailable, match="certificate verify failed"):
        ssl_in_use(aws_settings_for())


def test_a_certificate_for_another_name_is_refused(aws_settings_for, tls_database):
    # Given the right CA but an address the certificate does not name: verify-full checks the name too
    _, test_ca = tls_database
    with pytest.raises(DatabaseUnavailable, match="does not match host name"):
        ssl_in_use(aws_settings_for(db_ssl_root_cert=str(test_ca), db_host="127.0.0.1"))
