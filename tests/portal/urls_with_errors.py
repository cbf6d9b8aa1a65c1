"""The project's routes plus views that fail on purpose, for error-shape tests."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from portal.urls import handler404, handler500, urlpatterns  # noqa: F401


@api_view(["GET"])
@permission_classes([AllowAny])
def explode(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("secret internal detail")


urlpatterns = [path("api/test/explode", explode), *urlpatterns]
