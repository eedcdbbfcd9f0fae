"""CloudFormation custom resources: the request CloudFormation sends, and the answer it waits for.

CloudFormation waits for a JSON document PUT to the request's pre-signed S3 URL (``ResponseURL``). No answer
means a stack stuck until ``ServiceTimeout``, so the answer is sent with plain ``urllib`` (nothing to install)
and never with a ``Content-Type`` the URL was not signed for.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["SUCCESS", "FAILED"]
# CloudFormation shows the reason in the stack's events; a longer one makes the whole answer invalid.
MAX_REASON_CHARS = 3000


class CustomResourceRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    request_type: Literal["Create", "Update", "Delete"] = Field(alias="RequestType")
    response_url: str = Field(alias="ResponseURL", repr=False)  # pre-signed: a credential, never logged
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    resource_properties: dict[str, Any] = Field(default_factory=dict, alias="ResourceProperties")


class CustomResourceResponse(BaseModel):
    status: Status
    reason: str
    physical_resource_id: str
    data: dict[str, str] = Field(default_factory=dict)

    def document(self, request: CustomResourceRequest) -> dict[str, Any]:
        return {
            "Status": self.status,
            "Reason": self.reason[:MAX_REASON_CHARS],
            "PhysicalResourceId": self.physical_resource_id,
            "StackId": request.stack_id,
            "RequestId": request.request_id,
            "LogicalResourceId": request.logical_resource_id,
            "NoEcho": False,
            "Data": self.data,
        }


class Responder(Protocol):
    def __call__(self, request: CustomResourceRequest, response: CustomResourceResponse) -> None: ...


class PresignedUrlResponder:
    """Sends the answer to the request's pre-signed URL (the real adapter)."""

    def __init__(self, *, timeout_seconds: float = 10.0) -> None:
        self._timeout = timeout_seconds

    def __call__(self, request: CustomResourceRequest, response: CustomResourceResponse) -> None:
        body = json.dumps(response.document(request)).encode("utf-8")
        put = urllib.request.Request(
            request.response_url,
            data=body,
            method="PUT",
            # The URL is signed without a content type: sending one (urllib adds a form type) breaks the signature.
            headers={"Content-Type": "", "Content-Length": str(len(body))},
        )
        with urllib.request.urlopen(put, timeout=self._timeout) as answer:
            answer.read()
