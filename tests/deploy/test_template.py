"""template.yaml: every function is traced, in the VPC, on the layer, with its own least-privilege role; the
database is private and encrypted; credentials never appear in plain settings; migrations run on every deploy."""

from __future__ import annotations

import re

import pytest

from tests.deploy.template import (
    REPO_ROOT,
    function_folder,
    functions,
    global_env,
    referenced_names,
    resources,
    template,
)

FOLDERS = sorted(p.name for p in (REPO_ROOT / "functions").iterdir() if (p / "app.py").exists())
# ec2:Describe* and these X-Ray actions have no resource-level permissions in IAM: "*" is the only Resource AWS
# accepts for them (the same actions AWS's own AWSLambdaVPCAccessExecutionRole and AWSXrayWriteOnlyAccess grant).
UNAVOIDABLE_WILDCARD = {
    "Sid": "NoResourceLevelPermissions",
    "Action": {
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    },
}
DATABASE_SECRET = {"Database", "ExistingDbSecretArn"}
SECRETS_BY_FUNCTION = {
    # the api function also sends staff replies from the operator console through the gateway
    "api": DATABASE_SECRET
    | {"WebhookSecret", "WebhookSecretArn", "GatewayTokenSecretArn"}
    | {"MetaAppSecretArn", "MetaVerifyTokenArn", "WahaHmacKeyArn", "GowaWebhookSecretArn"},
    "sweeper": DATABASE_SECRET,
    "worker": DATABASE_SECRET | {"LlmApiKeySecretArn", "GatewayTokenSecretArn"},
    "migrate": DATABASE_SECRET,
}


def function_in_folder(folder: str) -> tuple[str, dict]:
    matches = [(name, f) for name, f in functions().items() if function_folder(f) == folder]
    assert len(matches) == 1, f"functions/{folder} should be exactly one AWS::Serverless::Function in template.yaml"
    return matches[0]


def statements(node) -> list[dict]:
    """Every IAM policy statement inside a resource (Fn::If branches included)."""
    found = []
    if isinstance(node, dict):
        if "Effect" in node and "Action" in node:
            return [node]
        for value in node.values():
            found += statements(value)
    elif isinstance(node, list):
        for item in node:
            found += statements(item)
    return found


def as_set(value) -> set[str]:
    """The plain strings of an Action/Resource value (a string, a list, or intrinsics around them)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set().union(*(as_set(v) for v in value)) if value else set()
    if isinstance(value, dict) and "Fn::If" in value:
        return as_set(value["Fn::If"][1:])
    return set()


def test_every_function_folder_is_deployed_and_every_deployed_function_has_a_folder():
    assert sorted(function_folder(f) for f in functions().values()) == FOLDERS


def test_globals_give_every_function_tracing_the_vpc_the_layer_and_arm64():
    g = template()["Globals"]["Function"]
    assert g["Tracing"] == "Active"
    assert g["Layers"] == [{"Ref": "CommonLayer"}]
    assert g["VpcConfig"] == {"SubnetIds": {"Ref": "SubnetIds"}, "SecurityGroupIds": [{"Ref": "FunctionSecurityGroup"}]}
    assert (g["Runtime"], g["Architectures"]) == ("python3.12", ["arm64"])


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_function_opts_out_of_the_globals(folder):
    _, function = function_in_folder(folder)
    props = function["Properties"]
    assert not {"Tracing", "VpcConfig", "Layers", "Runtime", "Architectures"} & set(props)
    assert props["Handler"] == "app.lambda_handler"


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_function_has_its_own_role_and_log_group(folder):
    name, function = function_in_folder(folder)
    props = function["Properties"]
    assert props["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}
    assert "Policies" not in props, "with an explicit Role SAM ignores Policies: add statements to the role"
    assert props["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{folder}"}
    logs = resources("AWS::Logs::LogGroup")[f"{name}Logs"]["Properties"]
    assert logs["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{folder}"}
    assert "RetentionInDays" in logs


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_function_may_read_only_its_own_secrets(folder):
    name, _ = function_in_folder(folder)
    readable = set()
    for statement in statements(resources()[f"{name}Role"]):
        if "secretsmanager:GetSecretValue" in as_set(statement["Action"]):
            readable |= referenced_names(statement["Resource"])
    assert readable == SECRETS_BY_FUNCTION[folder]


@pytest.mark.parametrize("folder", FOLDERS)
def test_each_function_writes_only_its_own_log_group(folder):
    name, _ = function_in_folder(folder)
    log_statements = [
        s for s in statements(resources()[f"{name}Role"]) if any(a.startswith("logs:") for a in as_set(s["Action"]))
    ]
    assert [s["Resource"] for s in log_statements] == [{"Fn::GetAtt": [f"{name}Logs", "Arn"]}]


def test_no_resource_wildcard_except_the_actions_iam_cannot_scope():
    wildcards = []
    for name, resource in resources().items():
        for statement in statements(resource.get("Properties", {})):
            actions = as_set(statement["Action"])
            assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
            if "*" in as_set(statement.get("Resource")):
                wildcards.append((name, statement.get("Sid"), actions))
    assert wildcards == [("FunctionRuntimePolicy", UNAVOIDABLE_WILDCARD["Sid"], UNAVOIDABLE_WILDCARD["Action"])]


def test_functions_get_no_aws_managed_policies():
    # SAM attaches AWS managed policies (Resource "*") only to roles it generates; every function brings its own.
    for name, role in resources("AWS::IAM::Role").items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert arn == {"Ref": "FunctionRuntimePolicy"}, name


def test_no_credentials_in_plain_environment_variables_or_parameters():
    plain = re.compile(r"(PASSWORD|DATABASE_URL|_SECRET$|_KEY$|_TOKEN$)")
    env = dict(global_env())
    for function in functions().values():
        env |= function["Properties"].get("Environment", {}).get("Variables", {})
    assert [k for k in env if plain.search(k)] == []
    assert [p for p in template()["Parameters"] if re.search(r"(?i)password|databaseurl", p)] == []
    assert env["DB_SECRET_ARN"]["Fn::If"][1] == {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]}


def test_the_database_the_stack_creates_is_private_encrypted_and_its_password_managed_by_rds():
    db = resources("AWS::RDS::DBInstance")["Database"]
    props = db["Properties"]
    assert props["StorageEncrypted"] is True and props["PubliclyAccessible"] is False
    assert props["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in props
    assert db["Condition"] == "CreateDatabase" and db["DeletionPolicy"] == "Snapshot"
    ingress = resources()["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [(r["FromPort"], r["SourceSecurityGroupId"]) for r in ingress] == [(5432, {"Ref": "FunctionSecurityGroup"})]


def test_migrations_run_on_every_deploy_before_the_functions_that_use_the_schema():
    schema = resources()["DatabaseSchema"]
    assert schema["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}
    # A new layer version (new code, new migrations) changes this property: CloudFormation sends an Update.
    assert schema["Properties"]["LayerVersion"] == {"Ref": "CommonLayer"}
    for name, function in functions().items():
        if name != "MigrateFunction":
            assert function.get("DependsOn") == "DatabaseSchema", name


def test_migrations_wait_for_every_network_path_so_a_fresh_stack_deploys_in_one_go():
    # The migrate function (and, after it, every function) needs the endpoints, the ingress rules and the proxy
    # target; on delete the same order keeps its answer to CloudFormation routable.
    needed = {
        name
        for name, r in resources().items()
        if r["Type"] in {"AWS::EC2::VPCEndpoint", "AWS::EC2::SecurityGroupIngress", "AWS::RDS::DBProxyTargetGroup"}
    }
    needed -= {"DatabaseSecurityGroupSelfIngress"}  # the proxy target group waits for it
    assert needed <= referenced_names(resources()["DatabaseSchema"]["Properties"])
    assert resources()["DatabaseProxyTargetGroup"]["DependsOn"] == "DatabaseSecurityGroupSelfIngress"


def test_alarms_notify_the_topic():
    alarms = resources("AWS::CloudWatch::Alarm")
    assert set(alarms) == {
        "DeadLetterQueueAlarm",
        "WorkerErrorsAlarm",
        "SweeperErrorsAlarm",
        "SweeperNotRunningAlarm",
        "JobsOverBudgetAlarm",
    }
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    not_running = alarms["SweeperNotRunningAlarm"]["Properties"]
    assert (not_running["MetricName"], not_running["TreatMissingData"], not_running["ComparisonOperator"]) == (
        "Invocations",
        "breaching",
        "LessThanThreshold",
    )
    assert resources()["AlarmEmailSubscription"]["Condition"] == "HasAlarmEmail"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_samconfig_environments_deploy_this_template(environment):
    import shlex
    import tomllib

    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())[environment]
    deploy = config["deploy"]["parameters"]
    overrides = dict(item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"]))

    assert config["global"]["parameters"]["stack_name"] == f"chatbatch-{environment}"
    assert deploy["capabilities"] == "CAPABILITY_IAM" and deploy["confirm_changeset"] is True
    assert overrides["Environment"] == environment
    parameters = template()["Parameters"]
    for name, value in overrides.items():
        assert name in parameters, f"samconfig.toml overrides an unknown parameter {name}"
        assert value in [str(v) for v in parameters[name].get("AllowedValues", [value])], (name, value)


def test_every_parameter_is_in_exactly_one_console_group():
    groups = template()["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template()["Parameters"])


def test_the_over_budget_alarm_watches_the_metric_the_worker_emits():
    from chatbatch.observability import MetricName

    alarm = resources()["JobsOverBudgetAlarm"]["Properties"]
    assert alarm["MetricName"] == MetricName.JOBS_OVER_BUDGET.value
    assert alarm["Namespace"] == {"Fn::Sub": "chatbatch/${AWS::StackName}"}
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "chatbatch"}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_api_function_has_reserved_concurrency_from_a_parameter_with_a_sane_default():
    parameter = template()["Parameters"]["ApiReservedConcurrency"]
    api = resources()["ApiFunction"]["Properties"]

    assert api["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}
    # Below a db.t4g.micro's ~80 connections, with room for the worker (WorkerMaxConcurrency 10) and the sweeper
    assert 1 <= parameter["MinValue"] <= parameter["Default"] <= 60


@pytest.mark.parametrize(("environment", "proxy"), [("dev", False), ("prod", True)])
def test_the_rds_proxy_is_on_by_default_in_prod_only(environment, proxy):
    import tomllib

    conditions = template()["Conditions"]
    assert template()["Parameters"]["EnableRdsProxy"]["Default"] == "auto"
    use_proxy = conditions["UseProxy"]["Fn::Or"]
    # auto: the proxy follows the environment (IsProd); "true" forces it on
    assert {"Fn::Equals": [{"Ref": "EnableRdsProxy"}, "true"]} in use_proxy
    assert {"Fn::And": [{"Fn::Equals": [{"Ref": "EnableRdsProxy"}, "auto"]}, {"Condition": "IsProd"}]} in use_proxy
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())[environment]["deploy"]["parameters"]
    given = dict(pair.split("=", 1) for pair in config["parameter_overrides"].split())
    enabled = given.get("EnableRdsProxy", "auto")
    assert (enabled == "true" or (enabled == "auto" and given["Environment"] == "prod")) is proxy


def test_behind_the_rds_proxy_no_statement_is_prepared():
    # A prepared statement pins the client's proxy connection to one database connection (multiplexing lost).
    assert global_env()["DB_PREPARED_STATEMENTS"] == {"Fn::If": ["UseProxy", "false", "true"]}
