"""The functions' network reach and the API's access log, as template.yaml declares them."""

from __future__ import annotations

from tests.deploy.template import resources, template


def test_the_functions_reach_postgres_only_in_the_databases_security_group():
    # Inline: HTTPS out only (AWS APIs, the LLM, the gateway); never PostgreSQL to an address range
    inline = resources()["FunctionSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert [(rule["FromPort"], rule["ToPort"], rule.get("CidrIp")) for rule in inline] == [(443, 443, "0.0.0.0/0")]
    # PostgreSQL: to the group of the database (or proxy) the stack creates, or of the existing database
    egress = resources("AWS::EC2::SecurityGroupEgress")
    to_database = {name: rule["Properties"] for name, rule in egress.items()}
    assert {name: props["DestinationSecurityGroupId"] for name, props in to_database.items()} == {
        "FunctionToDatabaseEgress": {"Ref": "DatabaseSecurityGroup"},
        "FunctionToExistingDatabaseEgress": {"Ref": "ExistingDbSecurityGroupId"},
    }
    assert all(props["GroupId"] == {"Ref": "FunctionSecurityGroup"} for props in to_database.values())
    assert all("CidrIp" not in props for props in to_database.values())
    assert egress["FunctionToDatabaseEgress"]["Condition"] == "NeedsDatabaseSecurityGroup"
    assert egress["FunctionToExistingDatabaseEgress"]["Condition"] == "DirectToExistingDatabase"


def test_an_existing_database_must_name_its_security_group():
    rule = template()["Rules"]["ExistingDatabaseNeedsHostAndSecurityGroup"]
    asserted = [assertion["Assert"] for assertion in rule["Assertions"]]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExistingDbSecurityGroupId"}, ""]}]} in asserted


def test_the_http_api_writes_an_access_log_without_query_strings_headers_or_bodies():
    api = resources()["HttpApi"]["Properties"]
    settings = api["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    log_format = settings["Format"]
    for field in ("$context.requestId", "$context.routeKey", "$context.status", "$context.integrationLatency"):
        assert field in log_format
    # A token may travel in a header, a webhook secret in a header or path segment, text in the body
    for private in ("$context.path", "querystring", "$request.header", "$input.body", "$context.authorizer"):
        assert private not in log_format
    assert resources()["ApiAccessLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
