"""Elliptic-curve points for chip protocols, on the `ecdsa` package's curve arithmetic.

PACE's generic mapping needs raw point sums (G~ = s*G + H) that `cryptography` does not
offer, and chips often publish keys with explicit curve parameters; `ecdsa` handles both
and knows the Brainpool curves. Points travel as uncompressed octet strings (04 || X || Y).
"""

from __future__ import annotations

import secrets
from typing import Any

import ecdsa
from ecdsa.curves import Curve
from ecdsa.ellipticcurve import INFINITY, PointJacobi

from hardware.cards.errors import MalformedCardData

__all__ = ["INFINITY", "Curve", "PointJacobi"]


def curve_named(name: str) -> Curve:
    curve = getattr(ecdsa.curves, name, None)
    if not isinstance(curve, ecdsa.curves.Curve):
        raise MalformedCardData(f"unknown curve {name}")
    return curve


def public_key_from_spki(spki: bytes) -> ecdsa.VerifyingKey:
    """An EC public key from SubjectPublicKeyInfo DER (named or explicit parameters of a
    known curve); the point is checked to lie on the curve. MalformedCardData if not."""
    try:
        return ecdsa.VerifyingKey.from_der(spki, valid_curve_encodings=("named_curve", "explicit"))
    except Exception as exc:  # ecdsa raises several types for bad or unknown keys
        raise MalformedCardData(f"EC public key unusable: {type(exc).__name__}: {exc}") from exc


def field_bytes(curve: Curve) -> int:
    return (curve.curve.p().bit_length() + 7) // 8


def encode_point(curve: Curve, point: Any) -> bytes:
    size = field_bytes(curve)
    return b"\x04" + int(point.x()).to_bytes(size, "big") + int(point.y()).to_bytes(size, "big")


def decode_point(curve: Curve, data: bytes) -> PointJacobi:
    """A point from its uncompressed encoding, checked to be on the curve (and not infinity)."""
    size = field_bytes(curve)
    if len(data) != 1 + 2 * size or data[0] != 0x04:
        raise MalformedCardData("EC point is not an uncompressed point of this curve")
    x = int.from_bytes(data[1 : 1 + size], "big")
    y = int.from_bytes(data[1 + size :], "big")
    if not curve.curve.contains_point(x, y):
        raise MalformedCardData("EC point is not on the curve")
    return PointJacobi(curve.curve, x, y, 1, curve.order)


def random_scalar(curve: Curve) -> int:
    return 1 + secrets.randbelow(curve.order - 1)


def shared_x(curve: Curve, scalar: int, point: Any) -> bytes:
    """ECDH: the x coordinate of scalar * point, as a field-size octet string."""
    product = point * scalar
    if product == INFINITY:
        raise MalformedCardData("EC key agreement gave the point at infinity")
    return int(product.x()).to_bytes(field_bytes(curve), "big")
