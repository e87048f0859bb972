"""Teacher and student configurations, with secret references only."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, status

from ...backends.registry import backend_class
from ...config import Settings
from ...errors import SpecError
from ...spec import ModelSpec
from ...store import ModelConfig
from ..deps import ProjectDep, SettingsDep, StoreDep
from ..schemas import ErrorPublic, ModelConfigCreate, ModelConfigPublic, ModelConfigsPublic, iso

router = APIRouter(prefix="/v1/models", tags=["models"])
_SECRETISH = re.compile(r"(key|token|secret|passw|auth|header|cookie|credential)", re.IGNORECASE)


def check_model_spec(spec: ModelSpec, settings: Settings) -> None:
    """Refuse what a user of a shared deployment must not set.

    Keys only as references to secrets the deployment allows; no key values in ``options``;
    no server-side checkpoint paths; a registered backend kind.

    Raises:
        SpecError: naming the field and what to use instead.

    """
    where = f"model '{spec.name}'"
    backend_class(spec.backend)
    if spec.backend == "ray":
        raise SpecError(f"{where}: backend 'ray' is set by the deployment's executor, not over HTTP")
    secretish = sorted(k for k in spec.options if _SECRETISH.search(k))
    if secretish:
        raise SpecError(
            f"{where}: options.{secretish[0]} looks like a credential; pass keys only as a secret reference "
            "(api_key_env or api_key_ref), never as a value"
        )
    if spec.path:
        raise SpecError(f"{where}: 'path' (a checkpoint on the server) cannot be set over HTTP")
    if spec.api_key_env and not settings.secret_env_allowed(spec.api_key_env):
        raise SpecError(
            f"{where}: api_key_env '{spec.api_key_env}' is not a secret this deployment shares; "
            f"allowed: {', '.join(settings.secret_envs)} or ADVISOR_SECRET_*"
        )
    if spec.api_key_ref:
        kind, _, target = spec.api_key_ref.partition(":")
        if kind == "env" and settings.secret_env_allowed(target):
            return
        if kind == "file" and settings.secrets_dir is not None:
            root = settings.secrets_dir.resolve()
            if Path(target).resolve().is_relative_to(root):
                return
        raise SpecError(
            f"{where}: api_key_ref must be 'env:NAME' with an allowed NAME or 'file:PATH' under the "
            "deployment's secrets folder"
        )


def _public(mc: ModelConfig) -> ModelConfigPublic:
    return ModelConfigPublic(
        id=mc.id,
        name=mc.name,
        spec=ModelSpec.model_validate(mc.spec),
        created_at=iso(mc.created_at),  # type: ignore[arg-type]
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": ErrorPublic}, 409: {"model": ErrorPublic}, 422: {"model": ErrorPublic}},
)
def register_model(
    body: ModelConfigCreate, project: ProjectDep, store: StoreDep, settings: SettingsDep
) -> ModelConfigPublic:
    """Register a teacher or student to use by name in runs (``{"config": "<name>"}``)."""
    spec = ModelSpec.model_validate(body.model_dump())
    check_model_spec(spec, settings)
    return _public(store.add_model_config(project.id, spec.name, spec.model_dump(mode="json")))


@router.get("", responses={401: {"model": ErrorPublic}})
def list_models(project: ProjectDep, store: StoreDep) -> ModelConfigsPublic:
    """The project's registered model configs."""
    data = [_public(mc) for mc in store.list_model_configs(project.id)]
    return ModelConfigsPublic(data=data, count=len(data))


@router.get("/{ref}", responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def read_model(ref: str, project: ProjectDep, store: StoreDep) -> ModelConfigPublic:
    """One model config, by id or name."""
    return _public(store.get_model_config(project.id, ref))
