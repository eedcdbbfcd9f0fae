"""migrate function: the CloudFormation custom resource that applies the pending schema migrations on every deploy.

Delete is a no-op; every request gets an answer on its pre-signed URL, also when the migrations fail.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext
from chatbatch import migrate
from chatbatch.adapters.cloudformation import CustomResourceRequest, PresignedUrlResponder
from chatbatch.db import connect_params_from_settings
from chatbatch.observability import logger, tracer
from chatbatch.services.schema import answer_schema_request
from chatbatch.settings import MigrateSettings, get_settings

# Answer CloudFormation this long before the function's own timeout would cut the answer off.
ANSWER_MARGIN_SECONDS = 15.0


def apply_pending_migrations() -> list[migrate.Migration]:
    # Settings are read here, not at import: a bad setting becomes a FAILED answer naming it, not a silent hang.
    return migrate.apply_pending(**connect_params_from_settings(get_settings(MigrateSettings))())


@logger.inject_lambda_context(correlation_id_path="RequestId")
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    request = CustomResourceRequest.model_validate(event)
    deadline = max(1.0, context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_SECONDS)
    response = answer_schema_request(
        request, apply_pending_migrations, PresignedUrlResponder(), deadline_seconds=deadline
    )
    return {"status": response.status, "physical_resource_id": response.physical_resource_id}
