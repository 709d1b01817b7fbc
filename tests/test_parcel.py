"""sync.parcel with real crypto: round trips, one test per refusal class, sequence rules, receipts,
blob chunks."""
import json
import random

import pytest

from sync import blobs as B, crypto, parcel as P, receipt as R
from sync.events import Event
from sync.parcel import ParcelHeader, ParcelRefused

NODE, CENTER = "07024", "central"
T1 = "000001764000000-00000"
T2 = "000001764000500-00003"


@pytest.fixture(scope="module")
def node():
    return crypto.generate_identity()


@pytest.fixture(scope="module")
def center():
    return crypto.generate_identity()


@pytest.fixture(scope="module")
def lookup(node):
    return lambda sender: node.public_keys() if sender == NODE else None


def make_events(n, seed=1):
    rng = random.Random(seed)
    return [Event(id=f"{rng.getrandbits(128):032x}", kind="dossier.corrected", dossier_id=f"d{i % 7}",
                  origin=NODE, actor="clerk1@07024", hlc=f"{1764000000000 + i:015d}-00000",
                  payload={"fields": {"applicant.phone": f"09{rng.randrange(10**8):08d}",
                                      "applicant.id_number": "001234567890",
                                      "applicant.address": "Thôn Bắc Vàng, xã Quan Lạn"}})
            for i in range(n)]


def build(node, center, seq=1, prev="", kind="events", body=None, recipient=CENTER):
    body = make_events(3) if body is None else body
    return P.build_parcel(NODE, node, recipient, center.public_keys().enc_pub, seq, prev, T1, kind, body)


def open_(data, center, lookup, recipient=CENTER):
    return P.open_parcel(data, expected_recipient=recipient, sender_keys_lookup=lookup,
                         recipient_identity=center)


def refused(reason_codes, fn, *args, **kwargs):
    with pytest.raises(ParcelRefused) as err:
        fn(*args, **kwargs)
    codes = {reason_codes} if isinstance(reason_codes, str) else set(reason_codes)
    assert err.value.reason in codes, err.value.reason
    assert err.value.code == err.value.reason and err.value.message_vi
    return err.value


# --- round trips -----------------------------------------------------------------------------------

def test_events_round_trip(node, center, lookup):
    events = make_events(20)
    data = build(node, center, body=events)
    opened = open_(data, center, lookup)
    assert opened.body == events
    assert opened.header.seq == 1 and opened.header.kind == "events"
    assert opened.parcel_sha256 == P.parcel_sha256(data) == crypto.sha256_hex(data)


def test_wire_round_trip_is_byte_identical(node, center):
    data = build(node, center)
    assert P.Parcel.from_wire(data).to_wire() == data


def test_personal_data_is_not_readable_on_the_wire(node, center):
    data = build(node, center, body=make_events(50))
    for secret in (b"001234567890", "Quan Lạn".encode(), b"applicant"):
        assert secret not in data


def test_compression_shrinks_a_repetitive_batch(node, center):
    events = make_events(500)
    plain = P.encode_body("events", events)
    data = build(node, center, body=events)
    assert len(data) < len(plain) / 3, (len(data), len(plain))


def test_peek_and_verify_need_no_private_key(node, center, lookup):
    data = build(node, center, seq=4, prev="a" * 64)
    header = P.peek_header(data)
    assert (header.sender, header.recipient, header.seq, header.created_at) == (NODE, CENTER, 4, T1)
    assert P.verify_parcel(data, sender_keys_lookup=lookup) == header


def test_chain_of_parcels(node, center, lookup):
    first = build(node, center, seq=1)
    second = build(node, center, seq=2, prev=P.parcel_sha256(first))
    last_seq, last_hash = 0, ""
    for data in (first, second):
        opened = open_(data, center, lookup)
        assert P.check_sequence(last_seq, last_hash, opened.header) == "apply"
        last_seq, last_hash = opened.header.seq, opened.parcel_sha256
    assert last_seq == 2


def test_rotated_sender_key_accepted_from_either_pinned_key(node, center):
    new = crypto.generate_identity()
    data = P.build_parcel(NODE, new, CENTER, center.public_keys().enc_pub, 1, "", T1, "control",
                          {"note": "rotated"})
    opened = open_(data, center, lambda s: [node.public_keys(), new.public_keys()])
    assert opened.body == {"note": "rotated"}


def test_other_kinds_round_trip(node, center, lookup):
    receipts = [{"receipt": {"seq": 1}, "signature": "x"}]
    assert open_(build(node, center, kind="receipt-batch", body=receipts), center, lookup).body == receipts


# --- refusals --------------------------------------------------------------------------------------

def test_bad_magic(node, center, lookup):
    data = build(node, center)
    refused("bad_magic", open_, b"PK\x03\x04" + data[4:], center, lookup)
    refused("bad_magic", P.peek_header, b"")


def test_unsupported_version(node, center, lookup):
    data = bytearray(build(node, center))
    data[4] = 2
    refused("unsupported_version", open_, bytes(data), center, lookup)


def test_bad_signature_from_impostor(node, center, lookup):
    impostor = crypto.generate_identity()   # claims to be 07024 with its own key
    data = P.build_parcel(NODE, impostor, CENTER, center.public_keys().enc_pub, 1, "", T1, "events",
                          make_events(2))
    refused("bad_signature", open_, data, center, lookup)
    refused("bad_signature", P.verify_parcel, data, sender_keys_lookup=lookup)


def test_wrong_recipient(node, center, lookup):
    data = build(node, center, recipient="07025")
    refused("wrong_recipient", open_, data, center, lookup)


def test_unknown_sender(node, center):
    refused("unknown_sender", open_, build(node, center), center, lambda s: None)
    refused("unknown_sender", open_, build(node, center), center, lambda s: [])


def test_revoked_sender_refusal_comes_from_lookup(node, center):
    def revoked(sender):
        raise ParcelRefused("revoked_sender", "Máy trạm đã bị thu hồi khóa.")
    refused("revoked_sender", open_, build(node, center), center, revoked)


def test_decrypt_failed_when_sealed_to_another_key(node, center, lookup):
    stranger = crypto.generate_identity()
    data = P.build_parcel(NODE, node, CENTER, stranger.public_keys().enc_pub, 1, "", T1, "events",
                          make_events(2))
    refused("decrypt_failed", open_, data, center, lookup)


@pytest.mark.parametrize("region", ["magic", "version", "header_len", "header", "ct_len",
                                    "ciphertext", "signature"])
def test_bit_flip_in_each_region_is_refused(node, center, lookup, region):
    data = build(node, center)
    parcel = P.Parcel.from_wire(data)
    header_end = 9 + len(parcel.header_bytes)
    positions = {"magic": 1, "version": 4, "header_len": 8, "header": 9 + len(parcel.header_bytes) // 2,
                 "ct_len": header_end + 3, "ciphertext": header_end + 4 + len(parcel.ciphertext) // 2,
                 "signature": len(data) - 10}
    flipped = bytearray(data)
    flipped[positions[region]] ^= 0x10
    expected = {"magic": "bad_magic", "version": "unsupported_version", "ciphertext": "bad_signature",
                "signature": "bad_signature", "header_len": {"truncated", "malformed_header"},
                "ct_len": {"truncated", "trailing_bytes"},
                "header": {"malformed_header", "bad_signature", "unknown_sender", "wrong_recipient"}}
    refused(expected[region], open_, bytes(flipped), center, lookup)


def test_every_single_bit_flip_is_refused(node, center, lookup):
    data = build(node, center, body=make_events(1))
    rng = random.Random(7)
    for pos in range(len(data)):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(ParcelRefused):
            open_(bytes(flipped), center, lookup)


def test_every_truncation_is_refused(node, center, lookup):
    data = build(node, center, body=make_events(1))
    for length in range(len(data)):
        refused({"truncated", "bad_magic"}, open_, data[:length], center, lookup)


def test_trailing_bytes(node, center, lookup):
    refused("trailing_bytes", open_, build(node, center) + b"\x00", center, lookup)


def test_non_canonical_or_extended_header(node, center):
    parcel = P.Parcel.from_wire(build(node, center))
    spaced = json.dumps(parcel.header.to_dict()).encode()
    refused("malformed_header", P.peek_header,
            P.Parcel(parcel.header, spaced, parcel.ciphertext, parcel.signature).to_wire())
    extended = P.canonical_json({**parcel.header.to_dict(), "citizen": "x"})
    refused("malformed_header", P.peek_header,
            P.Parcel(parcel.header, extended, parcel.ciphertext, parcel.signature).to_wire())


def test_header_fields_are_validated(node, center):
    with pytest.raises(ParcelRefused):
        build(node, center, seq=2, prev="")           # only seq 1 may lack prev_hash
    with pytest.raises(ParcelRefused):
        build(node, center, seq=0)
    with pytest.raises(ParcelRefused):
        build(node, center, recipient="../etc")       # ids end up in file names
    with pytest.raises(ParcelRefused):
        build(node, center, kind="mystery", body=[])


def test_content_hash_mismatch(node, center, lookup):
    content = P.encode_body("events", make_events(2))
    header = ParcelHeader(NODE, CENTER, 1, "", T1, "events", crypto.sha256_hex(b"other"), len(content))
    data = P.seal_parcel(header, content, node, center.public_keys().enc_pub)
    refused("content_hash_mismatch", open_, data, center, lookup)


def _sealed_with_content(node, center, kind, content):
    header = ParcelHeader(NODE, CENTER, 1, "", T1, kind, crypto.sha256_hex(content), len(content))
    return P.seal_parcel(header, content, node, center.public_keys().enc_pub)


@pytest.mark.parametrize("kind, content", [
    ("events", b"\xff\xfe not utf-8"),
    ("events", b'{"not": "a list"}'),
    ("events", b'[{"id": "1", "kind": "dossier.exploded", "origin": "x", "actor": "y", '
               b'"hlc": "000000000000001-00000"}]'),
    ("events", b'[{"id": "1"}]'),
    ("control", b"[1, 2]"),
    ("receipt-batch", b"[1]"),
])
def test_malformed_plaintext(node, center, lookup, kind, content):
    refused("malformed_plaintext", open_, _sealed_with_content(node, center, kind, content),
            center, lookup)


def test_plaintext_that_is_not_zstd(node, center, lookup):
    draft = P.Parcel.from_wire(build(node, center))
    content = b"[]"
    header = ParcelHeader(NODE, CENTER, 1, "", T1, "events", crypto.sha256_hex(content), len(content))
    header_bytes = P.canonical_json(header.to_dict())
    shell = P.Parcel(header, header_bytes, b"", b"", draft.version)
    sealed = crypto.seal(content, shell.authenticated_header(), node, center.public_keys().enc_pub)
    ciphertext, signature = crypto.split_sealed(sealed)
    data = P.Parcel(header, header_bytes, ciphertext, signature).to_wire()
    refused("malformed_plaintext", open_, data, center, lookup)


# --- sequence --------------------------------------------------------------------------------------

def _header(seq, prev=""):
    return ParcelHeader(NODE, CENTER, seq, prev, T1, "events", "0" * 64, 0)


H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64


@pytest.mark.parametrize("last_seq, last_hash, seq, prev, kwargs, outcome", [
    (0, "", 1, "", {}, "apply"),                                   # first parcel
    (2, H2, 3, H2, {}, "apply"),                                   # next in chain
    (2, H2, 5, H3, {}, "hold"),                                    # gap: 3 and 4 missing
    (2, H2, 2, H1, {"parcel_sha256": H2}, "duplicate"),            # same bytes again
    (5, H3, 2, H1, {"parcel_sha256": H2, "applied_sha256": H2}, "duplicate"),
    (5, H3, 2, H1, {}, "duplicate"),                               # old seq, no record kept
    (2, H2, 2, H1, {"parcel_sha256": H3}, "replayed"),             # different parcel, same seq
    (5, H3, 2, H1, {"parcel_sha256": H3, "applied_sha256": H2}, "replayed"),
    (2, H2, 3, H1, {}, "chain_broken"),                            # does not follow parcel 2
    (0, "", 2, H1, {}, "hold"),
])
def test_check_sequence(last_seq, last_hash, seq, prev, kwargs, outcome):
    header = _header(seq, prev)
    if outcome in ("replayed", "chain_broken"):
        refused(outcome, P.check_sequence, last_seq, last_hash, header, **kwargs)
    else:
        assert P.check_sequence(last_seq, last_hash, header, **kwargs) == outcome


def test_blob_chunks_are_outside_the_chain():
    header = ParcelHeader(NODE, CENTER, 0, "", T1, "blob-chunk", "0" * 64, 1, "1" * 64, 1, 0)
    assert P.check_sequence(9, H3, header) == "apply"


# --- receipts --------------------------------------------------------------------------------------

def test_receipt_round_trip(node, center, lookup):
    data = build(node, center)
    opened = open_(data, center, lookup)
    receipt = R.build_receipt(center, opened.header, opened.parcel_sha256, T2, "applied")
    body = R.verify_receipt(receipt, center.public_keys().sign_pub, P.parcel_sha256(data))
    assert (body["seq"], body["result"], body["applied_at"]) == (1, "applied", T2)


def test_forged_receipt(node, center):
    header = P.peek_header(build(node, center))
    forged = R.build_receipt(node, header, "a" * 64, T2, "applied")   # not the center's key
    refused("bad_signature", R.verify_receipt, forged, center.public_keys().sign_pub, "a" * 64)


def test_tampered_receipt(node, center):
    header = P.peek_header(build(node, center))
    doc = json.loads(R.build_receipt(center, header, "a" * 64, T2, "refused"))
    doc["receipt"]["result"] = "applied"
    refused("bad_signature", R.verify_receipt, json.dumps(doc).encode(),
            center.public_keys().sign_pub, "a" * 64)


def test_receipt_for_another_parcel(node, center):
    header = P.peek_header(build(node, center))
    receipt = R.build_receipt(center, header, "a" * 64, T2, "applied")
    refused("receipt_mismatch", R.verify_receipt, receipt, center.public_keys().sign_pub, "b" * 64)


@pytest.mark.parametrize("raw", [b"", b"not json", b'{"receipt": [], "signature": "AA=="}',
                                 b'{"receipt": {}, "signature": "***"}'])
def test_malformed_receipt(center, raw):
    refused("malformed_receipt", R.verify_receipt, raw, center.public_keys().sign_pub, "a" * 64)


# --- blobs -----------------------------------------------------------------------------------------

def test_blob_chunks_round_trip_in_any_order(node, center, lookup):
    scan = random.Random(3).randbytes(250_000)
    parcels = B.build_blob_parcels(NODE, node, CENTER, center.public_keys().enc_pub, T1, scan,
                                   chunk_size=100_000)
    assert len(parcels) == 3
    opened = [open_(p, center, lookup) for p in reversed(parcels)]
    chunks = [B.BlobChunk(o.header.offset, o.body) for o in opened] + [B.BlobChunk(0, scan[:100_000])]
    header = opened[0].header
    assert header.blob_sha256 == crypto.sha256_hex(scan) and header.blob_length == len(scan)
    assert B.assemble_blob(chunks, header.blob_sha256, header.blob_length) == scan
    for data in parcels:                       # names reveal neither the scan nor its hash
        name = P.parcel_file_name(data)
        assert crypto.sha256_hex(scan)[:16] not in name and name.startswith("07024_central_blob_")


def test_blob_incomplete_or_altered():
    scan = bytes(range(256)) * 10
    chunks = B.split_blob(scan, 1000)
    assert [c.offset for c in chunks] == [0, 1000, 2000]
    digest = crypto.sha256_hex(scan)
    refused("blob_incomplete", B.assemble_blob, chunks[:2], digest, len(scan))
    bad = chunks[:2] + [B.BlobChunk(2000, b"\x00" * len(chunks[2].data))]
    refused("blob_hash_mismatch", B.assemble_blob, bad, digest, len(scan))


def test_empty_blob(node, center, lookup):
    parcels = B.build_blob_parcels(NODE, node, CENTER, center.public_keys().enc_pub, T1, b"")
    opened = open_(parcels[0], center, lookup)
    assert B.assemble_blob([B.BlobChunk(0, opened.body)], crypto.sha256_hex(b""), 0) == b""


def test_parcel_file_name_orders_by_seq(node, center):
    names = [P.parcel_file_name(build(node, center, seq=s, prev="" if s == 1 else H1)) for s in (1, 2, 10)]
    assert names == sorted(names) and all(n.startswith("07024_central_") for n in names)


def test_blob_with_a_hole_is_incomplete():
    scan = bytes(range(256)) * 10
    chunks = B.split_blob(scan, 1000)
    refused("blob_incomplete", B.assemble_blob, [chunks[0], chunks[2]], crypto.sha256_hex(scan), len(scan))


def test_docs_list_every_refusal_code():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    source = "".join((root / f"sync/{name}.py").read_text()
                     for name in ("parcel", "crypto", "receipt", "blobs"))
    from motcua import errors as E
    codes = set(re.findall(r'CryptoRefused\(\s*"([a-z_]+)"', source))
    codes |= {getattr(E, name).code for name in re.findall(r"\bE\.([A-Z][A-Z0-9_]+)\b", source)
              if isinstance(getattr(E, name), E.Message)}
    assert {"bad_signature", "truncated", "replayed", "chain_broken"} <= codes
    table = (root / "docs/protocol.md").read_text()
    assert sorted(c for c in codes if f"| `{c}` |" not in table) == []


@pytest.mark.parametrize("field", ["sender", "recipient", "seq", "prev_hash", "created_at", "kind",
                                   "content_sha256", "content_length"])
@pytest.mark.parametrize("value", [None, [], {}, -1, 1.5, True, "", "07024\n", "x" * 70])
def test_header_values_of_any_type_are_refused_cleanly(node, center, field, value):
    parcel = P.Parcel.from_wire(build(node, center, seq=2, prev=H1))   # here "" is no valid prev_hash
    header_bytes = P.canonical_json({**parcel.header.to_dict(), field: value})
    data = P.Parcel(parcel.header, header_bytes, parcel.ciphertext, parcel.signature).to_wire()
    refused("malformed_header", P.peek_header, data)


@pytest.mark.parametrize("content", [b"[" * 100_000 + b"]" * 100_000, b"[NaN]"])
def test_hostile_json_body_is_malformed_not_a_crash(node, center, lookup, content):
    refused("malformed_plaintext", open_, _sealed_with_content(node, center, "events", content),
            center, lookup)
