"""Demo data of the model library: the shipped models, imported and published once."""

from pathlib import Path

from django_scopes import scopes_disabled

from assessments.model_format import load_model
from assessments.models import ModelVersion
from assessments.services import library

MODEL_DATA = Path(__file__).resolve().parent / "model_data"
SHIPPED_MODELS = ("devops-cd.yaml", "devops-security.yaml")


def load(write=print):
    """Import and publish every shipped model version that is not there yet."""
    with scopes_disabled():
        for name in SHIPPED_MODELS:
            document = load_model((MODEL_DATA / name).read_bytes())
            exists = ModelVersion.objects.filter(
                model__code=document.code, version=document.version, tenant=None
            ).exists()
            if exists:
                continue
            version = library.import_model_document(document=document)
            library.publish_version(version=version)
            write(f"Model {document.code} {document.version}: {version.item_count} items.")
