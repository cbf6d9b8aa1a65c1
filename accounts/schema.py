"""OpenAPI description of our authentication classes."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class CustomerJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.CustomerJWTAuthentication"
    name = "bearerAuth"
