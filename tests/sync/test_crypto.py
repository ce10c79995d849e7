"""Keys and passphrase wrapping: what a station relies on to keep its secrets at rest."""

from __future__ import annotations

import json

import pytest

from sync.crypto import SCRYPT_N, KeyPair, PublicKeys, unwrap_secret, wrap_secret
from sync.errors import FormatError, WrongPassphrase


def test_key_pair_survives_a_round_trip_through_its_raw_bytes() -> None:
    keys = KeyPair.generate()
    raw = keys.to_bytes()
    assert len(raw) == 64
    again = KeyPair.from_bytes(raw)
    assert again.public() == keys.public()
    message = b"checkpoint 42"
    assert keys.public().verify(again.signature(message), message)


def test_public_keys_round_trip_through_json_and_carry_a_stable_id() -> None:
    public = KeyPair.generate().public()
    data = json.loads(json.dumps(public.to_dict()))
    assert PublicKeys.from_dict(data) == public
    assert data["key_id"] == public.key_id
    assert len(public.key_id) == 16 and int(public.key_id, 16) >= 0
    assert KeyPair.generate().public().key_id != public.key_id


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(sign=d["sign"][:-2]),  # 31 bytes
        lambda d: d.update(box=d["box"] + "00"),  # 33 bytes
        lambda d: d.update(sign="zz" * 32),  # not hex
        lambda d: d.update(key_id="0" * 16),  # id of other keys
        lambda d: d.pop("box"),
    ],
)
def test_malformed_public_keys_are_refused_with_a_format_error(mutate: object) -> None:
    data = KeyPair.generate().public().to_dict()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(FormatError) as caught:
        PublicKeys.from_dict(data)
    assert caught.value.zh and caught.value.en


def test_a_key_pair_of_the_wrong_length_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        KeyPair.from_bytes(b"\x00" * 63)


def test_key_material_never_shows_in_repr() -> None:
    keys = KeyPair.generate()
    text = repr(keys) + repr(keys.public())
    assert keys.to_bytes()[:32].hex() not in text
    assert keys.to_bytes()[32:].hex() not in text
    assert keys.public().key_id in text


def test_wrapped_secret_opens_with_its_passphrase_only() -> None:
    secret = bytes(range(32))
    blob = wrap_secret(secret, "考点管理员 recovery 2026")
    assert json.loads(json.dumps(blob)) == blob  # storable as JSON as is
    assert blob["kdf"] == "scrypt" and blob["aead"] == "AES-256-GCM"
    assert blob["kdf_params"]["n"] == SCRYPT_N
    assert secret.hex() not in json.dumps(blob)
    assert unwrap_secret(blob, "考点管理员 recovery 2026") == secret
    with pytest.raises(WrongPassphrase) as caught:
        unwrap_secret(blob, "考点管理员 recovery 2025")
    assert "密码" in caught.value.zh and "password" in caught.value.en


def test_wrapping_twice_gives_different_blobs() -> None:
    first, second = wrap_secret(b"k" * 32, "pw"), wrap_secret(b"k" * 32, "pw")
    assert first["kdf_params"]["salt"] != second["kdf_params"]["salt"]
    assert first["ciphertext"] != second["ciphertext"]


def test_an_altered_wrapped_secret_does_not_open() -> None:
    blob = wrap_secret(b"s" * 32, "pw")
    flipped = dict(
        blob, ciphertext=("0" if blob["ciphertext"][0] != "0" else "1") + blob["ciphertext"][1:]
    )
    with pytest.raises(WrongPassphrase):
        unwrap_secret(flipped, "pw")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.update(kdf="argon2id"),
        lambda b: b.update(aead="SM4-GCM"),
        lambda b: b.update(version=2),
        lambda b: b["kdf_params"].update(n=2**30),  # would need 128 GiB: refused, not attempted
        lambda b: b["kdf_params"].update(n=3),
        lambda b: b["kdf_params"].update(p=True),
        lambda b: b.update(nonce="00"),
        lambda b: b.update(ciphertext="00"),
        lambda b: b.pop("kdf_params"),
    ],
)
def test_malformed_or_unknown_wrapping_is_a_format_error(mutate: object) -> None:
    blob = wrap_secret(b"s" * 32, "pw")
    blob["kdf_params"] = dict(blob["kdf_params"])
    mutate(blob)  # type: ignore[operator]
    with pytest.raises(FormatError):
        unwrap_secret(blob, "pw")
