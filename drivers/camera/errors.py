"""Errors of the camera reader: one root, specific subclasses."""

from __future__ import annotations

from drivers.errors import DriverError


class CameraError(DriverError):
    """Root of every error the camera reader raises on purpose."""


class CameraConfigError(CameraError):
    """A camera setting (source, region of interest, budget) is invalid."""


class CameraOpenError(CameraError):
    """The camera device or video file cannot be opened or read."""
