"""sync.crypto with real keys: round trips, and every refusal it promises."""
import os
import stat

import pytest

from sync import crypto
from sync.crypto import CryptoRefused


@pytest.fixture(scope="module")
def alice():
    return crypto.generate_identity()


@pytest.fixture(scope="module")
def bob():
    return crypto.generate_identity()


def test_seal_round_trip(alice, bob):
    sealed = crypto.seal(b"CCCD 001234567890", b"hdr", alice, bob.public_keys().enc_pub)
    assert b"001234567890" not in sealed
    assert len(sealed) == len(b"CCCD 001234567890") + crypto.SEAL_OVERHEAD
    assert crypto.open_sealed(sealed, b"hdr", alice.public_keys().sign_pub, bob) == b"CCCD 001234567890"


def test_seal_is_randomised(alice, bob):
    pub = bob.public_keys().enc_pub
    assert crypto.seal(b"x", b"h", alice, pub) != crypto.seal(b"x", b"h", alice, pub)


def test_signature_checked_with_pinned_sender_key(alice, bob):
    sealed = crypto.seal(b"data", b"hdr", alice, bob.public_keys().enc_pub)
    impostor = crypto.generate_identity()
    with pytest.raises(CryptoRefused) as err:
        crypto.open_sealed(sealed, b"hdr", impostor.public_keys().sign_pub, bob)
    assert err.value.reason == "bad_signature"


def test_other_header_is_refused(alice, bob):
    sealed = crypto.seal(b"data", b"seq=1", alice, bob.public_keys().enc_pub)
    with pytest.raises(CryptoRefused) as err:
        crypto.open_sealed(sealed, b"seq=2", alice.public_keys().sign_pub, bob)
    assert err.value.reason == "bad_signature"


def test_wrong_recipient_cannot_decrypt(alice, bob):
    sealed = crypto.seal(b"data", b"hdr", alice, bob.public_keys().enc_pub)
    with pytest.raises(CryptoRefused) as err:
        crypto.open_sealed(sealed, b"hdr", alice.public_keys().sign_pub, crypto.generate_identity())
    assert err.value.reason == "decrypt_failed"


def test_signature_is_checked_before_decryption(alice, bob):
    # A flipped ciphertext byte is caught by the signature, before decryption is even tried.
    sealed = bytearray(crypto.seal(b"data", b"hdr", alice, bob.public_keys().enc_pub))
    sealed[40] ^= 1
    with pytest.raises(CryptoRefused) as err:
        crypto.open_sealed(bytes(sealed), b"hdr", alice.public_keys().sign_pub, bob)
    assert err.value.reason == "bad_signature"


def test_truncated_sealed_data(alice, bob):
    with pytest.raises(CryptoRefused) as err:
        crypto.open_sealed(b"\x00" * 50, b"hdr", alice.public_keys().sign_pub, bob)
    assert err.value.reason == "truncated"


def test_sign_and_verify_are_namespaced(alice):
    sig = crypto.sign(b"receipt body", alice, purpose="receipt")
    crypto.verify(b"receipt body", sig, alice.public_keys().sign_pub, purpose="receipt")
    with pytest.raises(CryptoRefused) as err:
        crypto.verify(b"receipt body", sig, alice.public_keys().sign_pub, purpose="enrollment")
    assert err.value.reason == "bad_signature"
    with pytest.raises(CryptoRefused):
        crypto.verify(b"receipt bodY", sig, alice.public_keys().sign_pub, purpose="receipt")


def test_verify_refuses_garbage_key(alice):
    sig = crypto.sign(b"x", alice)
    with pytest.raises(CryptoRefused) as err:
        crypto.verify(b"x", sig, b"short")
    assert err.value.reason == "bad_key"


def test_identity_file_round_trip_and_mode(tmp_path, alice, bob):
    path = tmp_path / "node.key"
    crypto.save_identity(alice, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert crypto.load_identity(path).public_keys() == alice.public_keys()
    crypto.save_identity(bob, path)           # replaced atomically, no tmp file left behind
    assert crypto.load_identity(path).public_keys() == bob.public_keys()
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]


def test_corrupt_identity_file_is_refused(tmp_path):
    path = tmp_path / "node.key"
    path.write_bytes(b'{"version": 1, "sign_private": "AAAA"}')
    with pytest.raises(CryptoRefused) as err:
        crypto.load_identity(path)
    assert err.value.reason == "bad_key"


def test_public_keys_dict_round_trip_and_hex(alice):
    keys = alice.public_keys()
    assert crypto.PublicKeys.from_dict(keys.to_dict()) == keys
    as_hex = {"sign_pub": keys.sign_pub.hex(), "enc_pub": keys.enc_pub.hex()}
    assert crypto.PublicKeys.from_dict(as_hex) == keys
    with pytest.raises(CryptoRefused):
        crypto.PublicKeys.from_dict({"sign_pub": "AAAA", "enc_pub": keys.to_dict()["enc_pub"]})


def test_fingerprint_is_short_and_distinguishes(alice, bob):
    fp = alice.public_keys().fingerprint()
    assert len(fp) == 19 and fp.count("-") == 3
    assert fp == alice.public_keys().fingerprint() != bob.public_keys().fingerprint()


def test_key_endorsement(alice):
    new = crypto.generate_identity().public_keys()
    sig = crypto.endorse_new_key(alice, new, node_id="07024")
    crypto.verify_endorsement(alice.public_keys().sign_pub, new, sig, node_id="07024")
    with pytest.raises(CryptoRefused) as err:
        crypto.verify_endorsement(alice.public_keys().sign_pub, new, sig, node_id="07025")
    assert err.value.reason == "bad_endorsement"
    other = crypto.generate_identity().public_keys()
    with pytest.raises(CryptoRefused):
        crypto.verify_endorsement(alice.public_keys().sign_pub, other, sig, node_id="07024")
    # an endorsement is not a plain signature over the same bytes
    plain = crypto.sign(b"07024\x00" + new.canonical_bytes(), alice)
    with pytest.raises(CryptoRefused):
        crypto.verify_endorsement(alice.public_keys().sign_pub, new, plain, node_id="07024")


def test_helpers():
    assert crypto.sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    tokens = {crypto.random_token(16) for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 21 for t in tokens)
    assert crypto.constant_time_equal("abc", b"abc")
    assert not crypto.constant_time_equal("abc", "abd")


def test_seal_refuses_a_low_order_recipient_key(alice):
    with pytest.raises(CryptoRefused) as err:
        crypto.seal(b"x", b"h", alice, b"\x00" * 32)
    assert err.value.reason == "bad_key"
