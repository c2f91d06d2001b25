from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maoyi.api.errors import FIELD_ERRORS, ErrorSerializer
from maoyi.core.net import client_address
from maoyi.org.services import LoginRefused, authenticate_login


class TokenRequest(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)


class ObtainToken(APIView):
    """POST {"username", "password"} → {"token"}; the same lockout rules as the login page."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequest,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(
                FIELD_ERRORS,
                description="code login_failed (wrong user name or password) or account_disabled (left); "
                "a missing field answers {field: [message]}",
            ),
            429: OpenApiResponse(ErrorSerializer, description="code locked: too many failed logins"),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        form = TokenRequest(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            user = authenticate_login(
                username=form.validated_data["username"],
                password=form.validated_data["password"],
                address=client_address(request._request),
                request=request._request,
            )
        except LoginRefused as exc:
            code = status.HTTP_429_TOO_MANY_REQUESTS if exc.code == "locked" else status.HTTP_400_BAD_REQUEST
            return Response({"detail": exc.message, "code": exc.code}, status=code)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
