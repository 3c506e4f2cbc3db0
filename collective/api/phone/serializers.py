"""Serializers of the `phone` API area: request shapes and response representations its views use."""

from __future__ import annotations

from rest_framework import serializers


class PhoneStartSerializer(serializers.Serializer):
    phone_number = serializers.CharField(read_only=True)
    expires_in = serializers.IntegerField(read_only=True)
    resend_in = serializers.IntegerField(read_only=True)


class PhoneConfirmSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class PhoneConfirmedSerializer(serializers.Serializer):
    phone_number = serializers.CharField()
    phone_verified = serializers.BooleanField()
    sms_enabled = serializers.BooleanField()
