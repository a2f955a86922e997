"""Writes the bad-input corpus (`tests/corpus/*.jsonl`) from the recipes below.

Run `python tests/corpus/generate.py` after changing a recipe and commit the .jsonl files:
the data files are the corpus, this script only saves typing. One JSON object a line:

    {"id": "...", "kind": "invitation", <input>, "exit": 1, "error": "substring"}

Inputs: `arg` (a command-line argument), `stdin`, `text` (written to a file whose path is
passed), `b64` (bytes, base64, written to a file), `record` (a JSON value handed to an
in-process parser), `payload`/`payload_b64`/`frames_b64`/`recipe` (ledger requests).
`json: true` runs the CLI with --json as well. Expected outcomes are reviewed by hand: a
case's `error` is the part of the one-line message that tells the user what is wrong.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent

KEY = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
GOOD_SERVICE = {
    "id": "#inline",
    "type": "did-communication",
    "recipientKeys": [KEY],
    "serviceEndpoint": "http://127.0.0.1:9",
}
GOOD_OOB = {
    "@type": "https://didcomm.org/out-of-band/1.1/invitation",
    "@id": "inv-1",
    "label": "Agency",
    "handshake_protocols": ["https://didcomm.org/didexchange/1.0"],
    "services": [GOOD_SERVICE],
}
GOOD_LEGACY = {
    "@type": "https://didcomm.org/connections/1.0/invitation",
    "@id": "inv-2",
    "label": "Agency",
    "recipientKeys": ["8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K"],
    "serviceEndpoint": "http://127.0.0.1:9",
}


def b64url(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


def oob_url(doc: object, param: str = "oob") -> str:
    return f"http://127.0.0.1:9/?{param}={b64url(json.dumps(doc))}"


def with_(base: dict, **changes: object) -> dict:
    out = json.loads(json.dumps(base))
    for key, value in changes.items():
        key = key.replace("AT_", "@").replace("TILDE_", "~")
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class FileCases(list):
    """Cases whose input is a file: its text, or raw bytes (base64) where the text is
    not valid UTF-8. Policies, schemes, agency and genesis files, CSV uploads and
    credential types all take the same `add`."""

    def __init__(self, prefix: str, kind: str, **fields: object) -> None:
        super().__init__()
        self.prefix, self.kind, self.fields = prefix, kind, fields

    def add(
        self,
        cid: str,
        text: str | None,
        error: str,
        *,
        exit: int = 1,
        raw: bytes | None = None,
        json_mode: bool = False,
        **fields: object,
    ) -> None:
        case: dict = {"id": f"{self.prefix}-{cid}", "kind": self.kind, **self.fields, **fields}
        if raw is not None:
            case["b64"] = b64(raw)
        else:
            case["text"] = text
        case.update(exit=exit, error=error)
        if json_mode:
            case["json"] = True
        self.append(case)


def replacing(base: str) -> Callable[[str, str], str]:
    """`sub(old, new)`: the good document with one part changed (a part it must have)."""

    def sub(old: str, new: str) -> str:
        assert old in base, old
        return base.replace(old, new)

    return sub


# ------------------------------------------------------------------ invitations (CLI connect)


def invitations() -> list[dict]:
    cases: list[dict] = []

    def add(cid: str, error: str, *, exit: int = 1, json_mode: bool = False, **inp: object):
        case = {"id": f"inv-{cid}", "kind": "invitation", **inp, "exit": exit, "error": error}
        if json_mode:
            case["json"] = True
        cases.append(case)

    # control: a well-formed invitation passes the checks and stops at the missing wallet
    add("control-oob-url", "no wallet here yet", arg=oob_url(GOOD_OOB))
    add("control-legacy-url", "no wallet here yet", arg=oob_url(GOOD_LEGACY, "c_i"))
    add("control-json-file", "no wallet here yet", text=json.dumps(GOOD_OOB), json_mode=True)

    # bad base64 / not base64 / truncated
    good = b64url(json.dumps(GOOD_OOB))
    add("b64-garbage", "not valid base64", arg="http://127.0.0.1:9/?oob=@@@@")
    add("b64-one-char", "not valid base64", arg="http://127.0.0.1:9/?oob=A")
    add("b64-five-chars", "not valid base64", arg="http://127.0.0.1:9/?oob=AAAAA")
    add("b64-empty", "has no oob= or c_i=", arg="http://127.0.0.1:9/?oob=")
    add("b64-truncated-half", "truncated", arg=f"http://127.0.0.1:9/?oob={good[: len(good) // 2]}")
    add(
        "b64-truncated-last",
        "truncated",
        arg=f"http://127.0.0.1:9/?oob={good[:-3]}",
        json_mode=True,
    )
    add(
        "b64-not-utf8", "not valid base64", arg="http://127.0.0.1:9/?oob=" + b64url(b"\xff\xfe\xfd")
    )
    add("b64-not-json", "not valid JSON", arg=f"http://127.0.0.1:9/?oob={b64url('hello there')}")
    add("b64-json-array", "not a JSON object", arg=f"http://127.0.0.1:9/?oob={b64url('[1,2]')}")
    add("b64-json-number", "not a JSON object", arg=f"http://127.0.0.1:9/?oob={b64url('42')}")
    add("b64-json-null", "not a JSON object", arg=f"http://127.0.0.1:9/?oob={b64url('null')}")
    add("b64-json-string", "not a JSON object", arg="http://127.0.0.1:9/?oob=" + b64url('"x"'))
    add(
        "b64-std-alphabet",
        "no wallet here yet",
        arg="http://127.0.0.1:9/?oob="
        + base64.b64encode(json.dumps(GOOD_OOB).encode())
        .decode()
        .replace("+", "%2B")
        .replace("/", "%2F"),
    )
    add(
        "b64-spaces-inside",
        "not valid",
        arg=f"http://127.0.0.1:9/?oob={good[:10]}%20%20{good[10:]}",
    )
    add("b64-ci-garbage", "not valid base64", arg="http://127.0.0.1:9/?c_i=====")
    add("b64-dm-not-json", "not valid JSON", arg=f"didcomm://aries?d_m={b64url('{bad')}")

    # URL forms
    add("url-no-param", "has no oob= or c_i=", arg="http://127.0.0.1:9/invite")
    add("url-other-param", "has no oob= or c_i=", arg="https://agency.example/?foo=bar")
    add("url-ftp", "expected a URL", arg="ftp://agency.example/?oob=abc")
    add("url-plain-word", "expected a URL", arg="hello")
    add("url-missing-file", "expected a URL", arg="/no/such/invitation.json")
    add("url-empty-arg", "empty invitation", arg="")
    add("url-whitespace-arg", "empty invitation", arg="   ")
    add("url-javascript", "expected a URL", arg="javascript:alert(1)")
    add("url-data-uri", "expected a URL", arg="data:application/json;base64,e30=")
    add("url-newline-injection", "expected a URL", arg="x\nerror: fake second line")

    # JSON shape: type
    for i, bad_type in enumerate(
        [
            None,
            5,
            "",
            "https://didcomm.org/issue-credential/2.0/offer-credential",
            "https://didcomm.org/out-of-band/2.0/invitation",
            ["x"],
            "invitation",
            {"a": 1},
        ]
    ):
        doc = with_(GOOD_OOB, AT_type=bad_type)
        want = "no @type" if not isinstance(bad_type, str) else "not an invitation"
        add(f"type-{i}", want, text=json.dumps(doc), json_mode=i % 2 == 0)
    add("type-missing", "no @type", text=json.dumps(with_(GOOD_OOB, AT_type=...)))
    add("type-long", "not an invitation", text=json.dumps(with_(GOOD_OOB, AT_type="x" * 5000)))

    # services
    add("services-missing", "no services", text=json.dumps(with_(GOOD_OOB, services=...)))
    add("services-empty", "no services", text=json.dumps(with_(GOOD_OOB, services=[])))
    add("services-null", "no services", text=json.dumps(with_(GOOD_OOB, services=None)))
    add("services-string", "no services", text=json.dumps(with_(GOOD_OOB, services="http://x")))
    add(
        "services-number",
        "neither a DID nor an object",
        text=json.dumps(with_(GOOD_OOB, services=[5])),
    )
    add("services-not-did", "is not a DID", text=json.dumps(with_(GOOD_OOB, services=["http://x"])))
    add(
        "services-nested-list",
        "neither a DID nor an object",
        text=json.dumps(with_(GOOD_OOB, services=[[GOOD_SERVICE]])),
    )
    for i, endpoint in enumerate(
        [
            None,
            "",
            5,
            "not a url",
            "ftp://x/y",
            "http://",
            "file:///etc/passwd",
            ["http://x"],
            "javascript:alert(1)",
        ]
    ):
        svc = {**GOOD_SERVICE, "serviceEndpoint": endpoint}
        want = "no endpoint" if not endpoint or not isinstance(endpoint, str) else "is not a URL"
        add(f"endpoint-{i}", want, text=json.dumps(with_(GOOD_OOB, services=[svc])))
    for i, keys in enumerate([None, [], "key", [5], [None], [KEY, 7], {"k": KEY}]):
        svc = {**GOOD_SERVICE, "recipientKeys": keys}
        add(
            f"keys-{i}",
            "no recipient keys",
            text=json.dumps(with_(GOOD_OOB, services=[svc])),
            json_mode=i == 0,
        )
    add(
        "handshake-none",
        "neither a handshake nor an attached request",
        text=json.dumps(with_(GOOD_OOB, handshake_protocols=...)),
    )
    add(
        "handshake-empty",
        "neither a handshake nor an attached request",
        text=json.dumps(with_(GOOD_OOB, handshake_protocols=[])),
    )
    add(
        "handshake-string",
        "must be lists",
        text=json.dumps(with_(GOOD_OOB, handshake_protocols="didexchange")),
    )
    add(
        "attach-object",
        "must be lists",
        text=json.dumps(with_(GOOD_OOB, **{"requests~attach": {"a": 1}})),
    )
    add("label-number", "label is not text", text=json.dumps(with_(GOOD_OOB, label=12)))
    add("label-object", "label is not text", text=json.dumps(with_(GOOD_OOB, label={"x": 1})))

    # expiry
    add(
        "expired-2020",
        "expired on 2020-01-01",
        text=json.dumps(with_(GOOD_OOB, TILDE_timing={"expires_time": "2020-01-01T00:00:00Z"})),
        json_mode=True,
    )
    add(
        "expired-naive",
        "expired on 2001-09-09",
        text=json.dumps(with_(GOOD_OOB, TILDE_timing={"expires_time": "2001-09-09T01:46:40"})),
    )
    add(
        "expired-url",
        "expired",
        arg=oob_url(with_(GOOD_OOB, TILDE_timing={"expires_time": "1999-12-31T23:59:59+00:00"})),
    )
    add(
        "expiry-garbage",
        "is not a time",
        text=json.dumps(with_(GOOD_OOB, TILDE_timing={"expires_time": "next tuesday"})),
    )
    add(
        "expiry-number",
        "is not a time",
        text=json.dumps(with_(GOOD_OOB, TILDE_timing={"expires_time": 1234567890})),
    )
    add(
        "expiry-impossible-date",
        "is not a time",
        text=json.dumps(with_(GOOD_OOB, TILDE_timing={"expires_time": "2026-02-30T00:00:00Z"})),
    )
    add(
        "expiry-legacy",
        "expired",
        text=json.dumps(with_(GOOD_LEGACY, TILDE_timing={"expires_time": "2019-05-01T00:00:00Z"})),
    )

    # legacy invitations
    add(
        "legacy-no-keys",
        "no recipient keys",
        text=json.dumps(with_(GOOD_LEGACY, recipientKeys=...)),
    )
    add(
        "legacy-empty-keys",
        "no recipient keys",
        text=json.dumps(with_(GOOD_LEGACY, recipientKeys=[])),
    )
    add(
        "legacy-no-endpoint",
        "no endpoint",
        text=json.dumps(with_(GOOD_LEGACY, serviceEndpoint=...)),
    )
    add(
        "legacy-bad-endpoint",
        "is not a URL",
        text=json.dumps(with_(GOOD_LEGACY, serviceEndpoint="mailto:x@y")),
    )
    add("legacy-did-number", "did is not text", text=json.dumps(with_(GOOD_LEGACY, did=5)))
    add(
        "legacy-url-no-keys",
        "no recipient keys",
        arg=oob_url(with_(GOOD_LEGACY, recipientKeys=...), "c_i"),
    )

    # truncated / malformed JSON, files, stdin
    text = json.dumps(GOOD_OOB)
    for i, cut in enumerate((1, 10, len(text) // 2, len(text) - 1)):
        add(f"json-truncated-{i}", "not valid JSON (truncated?)", text=text[:cut])
    add("json-trailing-garbage", "not valid JSON", text=text + " trailing")
    add("json-single-quotes", "not valid JSON", text=text.replace('"', "'"))
    add("json-top-array", "not a JSON object", text=json.dumps([GOOD_OOB]))
    add("json-deep-nesting", "nested too deeply", text="[" * 20000 + "]" * 20000, json_mode=True)
    add("json-deep-nesting-object", "nested too deeply", text='{"a":' * 5000 + "1" + "}" * 5000)
    add("json-nan", "no wallet here yet", text=text[:-1] + ', "x": NaN}')
    add("file-empty", "empty invitation", text="")
    add("file-whitespace", "empty invitation", text="\n\n   \t\n")
    add("file-binary", "not valid JSON", b64=b64(b"{\x00\xff\xfe\x01garbage"))
    add("file-utf16-bom", "not", b64=b64(json.dumps(GOOD_OOB).encode("utf-16")))
    add("file-huge", "too large", text='{"@type": "' + "A" * 70_000 + '"}')
    add("stdin-huge", "too large", stdin='{"label": "' + "B" * 200_000 + '"}', json_mode=True)
    add("stdin-empty", "empty invitation", stdin="")
    add("stdin-truncated", "not valid JSON (truncated?)", stdin=text[:40])
    add(
        "stdin-url-expired",
        "expired",
        stdin=oob_url(with_(GOOD_OOB, TILDE_timing={"expires_time": "2000-01-01T00:00:00Z"})),
    )
    add("url-huge", "too large", arg="http://127.0.0.1:9/?oob=" + "A" * 70_000)
    add(
        "json-huge-services",
        "too large",
        text=json.dumps(with_(GOOD_OOB, services=[GOOD_SERVICE] * 1000)),
    )
    add(
        "json-nul-in-type",
        "not an invitation",
        text=json.dumps(with_(GOOD_OOB, AT_type="out-of-band/1.1/invitation\u0000x")),
    )
    add(
        "json-lone-surrogate-type",
        "not an invitation",
        text=json.dumps(with_(GOOD_OOB, AT_type="\ud800")),
    )
    add(
        "json-ansi-escape-type",
        "not an invitation",
        text=json.dumps(with_(GOOD_OOB, AT_type="\x1b[31mred\x1b[0m\nsecond line")),
    )
    return cases


# ------------------------------------------------------------------ policies (CLI validate)

POLICY = """\
name: income-supplement
credential: IncomeStatement
reveal: [month]
prove:
  - net_income < social_minimum
  - valid_until >= today
issued_within: 45 days
trusted_issuers:
  - from_setting: trusted_employers
workflow: income_supplement
actions:
  declined:
    - message: "No supplement this month."
"""


def policies() -> list[dict]:
    cases = FileCases("policy", "policy")
    add, sub = cases.add, replacing(POLICY)

    add("yaml-tab-indent", sub("  - net_income", "\t- net_income"), "not valid YAML")
    add("yaml-unclosed-bracket", sub("[month]", "[month"), "not valid YAML", json_mode=True)
    add(
        "yaml-unclosed-quote",
        sub('"No supplement this month."', '"No supplement'),
        "not valid YAML",
    )
    add(
        "yaml-bad-indent",
        sub("prove:\n  - net", "prove:\n    - net_income < 1\n  - net"),
        "not valid YAML",
    )
    add("yaml-recursive-alias", "a: &x [*x]\n", "")
    add(
        "yaml-billion-laughs",
        "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "unknown key(s)",
    )
    add("yaml-python-tag", "name: !!python/object/apply:os.system ['true']\n", "not valid YAML")
    add("yaml-impossible-date", POLICY + "version: 2026-02-30\n", "not valid YAML")
    add("top-list", "- a\n- b\n", "expected a mapping at the top")
    add("top-scalar", "just text\n", "expected a mapping at the top")
    add("empty-file", "", "expected a mapping at the top")
    add("binary", None, "cannot read", raw=b"\xff\xfe\x00\x01name: x\n")
    add("latin1", None, "cannot read", raw="name: caf\u00e9\n".encode("latin-1"))
    add(
        "unknown-key",
        POLICY + "pay_everyone: true\n",
        "unknown key(s): pay_everyone",
        json_mode=True,
    )
    add("name-missing", sub("name: income-supplement\n", ""), "name must be")
    add("name-uppercase", sub("name: income-supplement", "name: Income Supplement"), "name must be")
    add(
        "operator-tilde",
        sub("net_income < social_minimum", "net_income ~ social_minimum"),
        "cannot read",
    )
    for i, pred in enumerate(
        [
            "net_income <> 5",
            "net_income != 5",
            "net_income == 5",
            "net_income = 5",
            "net_income >>= 5",
            "net_income ≠ 5",
        ]
    ):
        add(f"operator-{i}", sub("net_income < social_minimum", pred), "unknown operator")
    add(
        "operator-missing",
        sub("net_income < social_minimum", "net_income social_minimum"),
        "cannot read",
    )
    add("predicate-number", sub("  - valid_until >= today", "  - 42"), "write a predicate as text")
    add(
        "predicate-mapping",
        sub("  - valid_until >= today", "  - {a: b}"),
        "write a predicate as text",
    )
    add(
        "operand-garbage",
        sub("net_income < social_minimum", "net_income < ten euros!"),
        "not an amount of money",
    )
    add("operand-bad-money", sub("net_income < social_minimum", "net_income < 12.345.6 EUR"), "")
    add("operand-bad-date", sub("valid_until >= today", "valid_until >= 2026-13-45"), "")
    add("operand-bad-today", sub("valid_until >= today", "valid_until >= today+x"), "not a date")
    add(
        "prove-not-list",
        sub(
            "prove:\n  - net_income < social_minimum\n  - valid_until >= today",
            "prove: net_income < 5",
        ),
        "prove must be a list",
    )
    add("reveal-not-list", sub("reveal: [month]", "reveal: month"), "reveal must be a list")
    add(
        "reveal-bad-name",
        sub("reveal: [month]", "reveal: ['month; drop']"),
        "not an attribute name",
    )
    add("reveal-twice", sub("reveal: [month]", "reveal: [month, month]"), "listed twice")
    add(
        "reveal-and-predicate",
        sub("reveal: [month]", "reveal: [month, net_income]"),
        "both revealed and in a predicate",
    )
    add("asks-nothing", "name: x\ntrusted_issuers: [{from_setting: a}]\n", "asks for nothing")
    add("issued-within-forever", sub("45 days", "forever"), "write e.g. '45 days'")
    add("issued-within-huge", sub("45 days", "99999 days"), "")
    add("issued-within-bool", sub("45 days", "true"), "write e.g. '45 days'")
    add(
        "trusted-missing",
        sub("trusted_issuers:\n  - from_setting: trusted_employers\n", ""),
        "trusted_issuers is required",
    )
    add(
        "trusted-schema-only",
        sub("from_setting: trusted_employers", "schema_name: X"),
        "trusts anyone",
    )
    add(
        "trusted-unknown-key",
        sub("from_setting: trusted_employers", "anyone: yes"),
        "unknown key(s)",
    )
    add(
        "trusted-number-entry",
        sub("  - from_setting: trusted_employers", "  - 5"),
        "each trusted issuer is a mapping",
    )
    add(
        "workflow-unknown",
        sub("workflow: income_supplement", "workflow: pay_twice"),
        "unknown workflow",
    )
    add("actions-unknown-outcome", sub("  declined:", "  maybe:"), "unknown outcome")
    add("actions-unknown-kind", sub("- message:", "- shell:"), "unknown action key(s)")
    add(
        "actions-template-braces",
        sub('"No supplement this month."', '"{amount"'),
        "unbalanced braces",
    )
    add(
        "actions-webhook-file",
        sub('- message: "No supplement this month."', "- webhook: file:///etc/passwd"),
        "webhook url must be",
    )
    add("non-revoked-text", POLICY + "non_revoked: maybe\n", "must be true or false")
    return cases


# ------------------------------------------------------------------ scheme documents (CLI add)

SCHEME = """\
scheme: svb-tas
agency: {name: SVB, did: 4QxzWk3ajdnEA37NdNU5Kt}
credential: {schema_name: MedicalDeclaration}
conditions:
  - {attribute: diagnosis_code, in: [J61, C45]}
asks: {reveal: [diagnosis_code], predicates: []}
valid: {from: 2026-01-01, until: 2030-12-31}
signature: {did: 4QxzWk3ajdnEA37NdNU5Kt, alg: ed25519, value: 3sig}
"""


def schemes() -> list[dict]:
    cases = FileCases("scheme", "scheme")
    add, sub = cases.add, replacing(SCHEME)

    add("control", SCHEME, "no wallet here yet")
    add("yaml-error", sub("[J61, C45]", "[J61, C45"), "not valid YAML or JSON", json_mode=True)
    add("yaml-tab", sub("  - {attribute", "\t- {attribute"), "not valid YAML or JSON")
    add("not-utf8", None, "not UTF-8", raw=b"scheme: \xff\xfe\n")
    add("top-list", "[1, 2]\n", "a scheme document is a mapping")
    add("empty", "", "a scheme document is a mapping")
    add(
        "json-truncated",
        json.dumps({"scheme": "x", "agency": {"did": "a"}})[:20],
        "not valid YAML or JSON",
    )
    add("unknown-key", SCHEME + "pay: all\n", "unknown key(s): pay")
    add("no-id", sub("scheme: svb-tas\n", ""), "needs an id")
    add("id-number", sub("scheme: svb-tas", "scheme: 5"), "needs an id")
    add(
        "agency-no-did",
        sub("agency: {name: SVB, did: 4QxzWk3ajdnEA37NdNU5Kt}", "agency: {name: SVB}"),
        "needs the agency's did",
    )
    add(
        "agency-list",
        sub("agency: {name: SVB, did: 4QxzWk3ajdnEA37NdNU5Kt}", "agency: [x]"),
        "needs the agency's did",
    )
    add(
        "credential-empty",
        sub("credential: {schema_name: MedicalDeclaration}", "credential: {}"),
        "needs schema_name or cred_def_id",
    )
    add(
        "issuers-not-list",
        sub(
            "credential: {schema_name: MedicalDeclaration}",
            "credential: {schema_name: M, issuer_dids: abc}",
        ),
        "a list of DIDs",
    )
    add("condition-unknown-op", sub("in: [J61, C45]", "like: J6%"), "unknown operator 'like'")
    add("condition-two-ops", sub("in: [J61, C45]", "in: [J61], eq: J61"), "exactly one operator")
    add(
        "condition-no-attr",
        sub("{attribute: diagnosis_code, in: [J61, C45]}", "{in: [J61]}"),
        "each condition needs attribute:",
    )
    add("condition-in-empty", sub("in: [J61, C45]", "in: []"), "in: needs a list")
    add("condition-within-negative", sub("in: [J61, C45]", "within_days: -5"), "a number of days")
    add("condition-within-text", sub("in: [J61, C45]", "within_days: soon"), "a number of days")
    add(
        "conditions-number",
        sub("conditions:\n  - {attribute: diagnosis_code, in: [J61, C45]}", "conditions: 5"),
        "conditions: a list",
    )
    add(
        "conditions-mapping",
        sub("conditions:\n  - {attribute: diagnosis_code, in: [J61, C45]}", "conditions: {a: 1}"),
        "conditions: a list",
    )
    add("apply-policy-number", SCHEME + "apply: {policy: 5}\n", "apply.policy: text")
    add(
        "asks-list",
        sub("asks: {reveal: [diagnosis_code], predicates: []}", "asks: [x]"),
        "are mappings",
    )
    add("asks-reveal-number", sub("reveal: [diagnosis_code]", "reveal: 5"), "asks.reveal: a list")
    add("valid-list", sub("valid: {from: 2026-01-01, until: 2030-12-31}", "valid: [x]"), "valid:")
    add("valid-bad-date", sub("until: 2030-12-31", "until: someday"), "is not a date")
    add(
        "valid-impossible-date",
        sub("until: 2030-12-31", "until: 2030-02-30"),
        "day is out of range",
    )
    add(
        "unsigned",
        sub("signature: {did: 4QxzWk3ajdnEA37NdNU5Kt, alg: ed25519, value: 3sig}\n", ""),
        "not signed",
    )
    add("wrong-alg", sub("alg: ed25519", "alg: none"), "not signed")
    add(
        "signed-by-other",
        sub("signature: {did: 4QxzWk3ajdnEA37NdNU5Kt", "signature: {did: Other"),
        "signed by another DID",
    )
    add("recursive-alias", "scheme: &x [*x]\n", "nested too deeply")
    add("huge", SCHEME + "# " + "x" * (1100 * 1024) + "\n", "too large")
    return cases


# ------------------------------------------------------------------ agency files (CLI init)

AGENCY = """\
name: municipality
label: Municipality
roles: [issuer, verifier]
ledger: embedded
figures:
  social_minimum:
    - {from: 2026-01-01, value: "1500.00 EUR"}
settings:
  trusted_employers: [4QxzWk3ajdnEA37NdNU5Kt]
"""


def agencies() -> list[dict]:
    cases = FileCases("agency", "agency", name="municipality")
    add, sub = cases.add, replacing(AGENCY)

    add("yaml-error", sub("[issuer, verifier]", "[issuer, verifier"), "not valid YAML")
    add("not-utf8", None, "", raw=b"name: \xff\xfe\n")
    add("top-list", "- a\n", "expected a mapping at the top")
    add("unknown-key", AGENCY + "admin_key: x\n", "unknown key(s): admin_key")
    add("bad-name-arg", AGENCY, "lowercase letters", exit=2, name="Bad Name")
    add("roles-empty", sub("roles: [issuer, verifier]", "roles: []"), "roles must be")
    add("roles-unknown", sub("roles: [issuer, verifier]", "roles: [king]"), "roles must be")
    add("roles-text", sub("roles: [issuer, verifier]", "roles: issuer"), "roles must be")
    add("agent-list", AGENCY + "agent: [1]\n", "agent must be a mapping")
    add("agent-unknown", AGENCY + "agent: {wings: 2}\n", "agent: unknown key(s): wings")
    add("agent-instances-text", AGENCY + "agent: {instances: many}\n", "instances")
    add("agent-port-text", AGENCY + "agent: {admin_port: eighty}\n", "must be a port number")
    add("agent-port-range", AGENCY + "agent: {inbound_port: 99999}\n", "must be a port number")
    add("agent-host-list", AGENCY + "agent: {inbound_host: [a]}\n", "must be text")
    add("agent-instances-zero", AGENCY + "agent: {instances: 0}\n", "at least 1")
    add("agent-instances-sqlite", AGENCY + "agent: {instances: 3}\n", "PostgreSQL")
    add(
        "figures-list",
        sub(
            'figures:\n  social_minimum:\n    - {from: 2026-01-01, value: "1500.00 EUR"}',
            "figures: [1]",
        ),
        "figures must map",
    )
    add("figure-no-from", sub("{from: 2026-01-01, value:", "{value:"), "needs from: and value:")
    add("figure-bad-date", sub("from: 2026-01-01", "from: yesterday"), "is not a date")
    add("figure-number-date", sub("from: 2026-01-01", "from: 5"), "must be a date")
    add(
        "figure-empty",
        sub(
            '  social_minimum:\n    - {from: 2026-01-01, value: "1500.00 EUR"}',
            "  social_minimum: []",
        ),
        "must be a list",
    )
    add(
        "settings-list",
        sub("settings:\n  trusted_employers: [4QxzWk3ajdnEA37NdNU5Kt]", "settings: [1, 2]"),
        "settings",
    )
    add("paths-not-list", AGENCY + "policies: policy.yaml\n", "must be a list of file paths")
    add("impossible-date", sub("from: 2026-01-01", "from: 2026-02-30"), "")
    add("recursive-alias", "name: &x [*x]\n", "")
    return cases


# ------------------------------------------------------------------ genesis files (CLI init)

NODE_TXN = {
    "reqSignature": {},
    "txn": {
        "data": {
            "data": {
                "alias": "Node1",
                "blskey": "x",
                "client_ip": "127.0.0.1",
                "client_port": 9702,
                "node_ip": "127.0.0.1",
                "node_port": 9701,
                "services": ["VALIDATOR"],
            },
            "dest": "Gw6pDLhcBcoQesN72qfotTgFa7cbuqZpkX3Xo6pLhPhv",
        },
        "metadata": {"from": "x"},
        "type": "0",
    },
    "txnMetadata": {"seqNo": 1, "txnId": "x"},
    "ver": "1",
}


def genesis() -> list[dict]:
    cases = FileCases("genesis", "genesis")
    add = cases.add

    line = json.dumps(NODE_TXN)
    observer = json.loads(line)
    observer["txn"]["data"]["data"]["services"] = ["OBSERVER"]
    add("empty", "", "no validator nodes")
    add("blank-lines", "\n\n\n", "no validator nodes")
    add("not-json", "hello\n", "line 1 is not a pool transaction")
    add("json-array", "[1,2,3]\n", "line 1 is not a pool transaction")
    add("json-number", "5\n", "line 1 is not a pool transaction")
    add("missing-txn", json.dumps({"ver": "1"}) + "\n", "line 1 is not a pool transaction")
    add("missing-data", json.dumps({"txn": {"type": "0"}}) + "\n", "not a pool transaction")
    add("data-not-object", json.dumps({"txn": {"data": 5}}) + "\n", "not a pool transaction")
    add("truncated", line[: len(line) // 2] + "\n", "line 1 is not a pool transaction")
    add("second-line-bad", line + "\n{oops\n", "line 2 is not a pool transaction")
    add("only-observers", json.dumps(observer) + "\n", "no validator nodes")
    add(
        "services-string",
        line.replace('["VALIDATOR"]', '"VALIDATOR"') + "\n",
        "services must be a list",
    )
    add("services-number", line.replace('["VALIDATOR"]', "7") + "\n", "services must be a list")
    add(
        "port-string",
        line.replace('"client_port": 9702', '"client_port": "9702"') + "\n",
        "no valid client_port",
    )
    add(
        "port-out-of-range",
        line.replace('"client_port": 9702', '"client_port": 70000') + "\n",
        "no valid client_port",
    )
    add("no-client-ip", line.replace('"client_ip": "127.0.0.1", ', "") + "\n", "no client_ip")
    add("binary", None, "not a pool transaction", raw=b"\xff\xfe\x00\x00garbage\n")
    add("utf16", None, "", raw=(line + "\n").encode("utf-16"))
    add("pretty-printed", json.dumps(NODE_TXN, indent=2) + "\n", "not a pool transaction")
    add("too-large", line + "\n" + (" " * 1000 + "\n") * 4300, "too large")
    add("deep-nesting", "[" * 100000 + "]" * 100000 + "\n", "line 1 is not a pool transaction")
    add("no-ports", line.replace('"client_port": 9702, ', "") + "\n", "no valid client_port")
    add("toml-instead", "[ledger]\ngenesis = 'x'\n", "line 1 is not a pool transaction")
    return cases


# ------------------------------------------------------------------ CSV rows (read_rows)

HEADER = (
    "connection_id,row_id,month,net_income_cents,gross_income_cents,employer_name,"
    "employee_ref,issue_date,valid_until"
)
ROW = "conn-1,R-1,2026-10,1234.00 EUR,1600.00 EUR,ACME,E-1,2026-10-31,2026-12-31"


def csv_rows() -> list[dict]:
    cases = FileCases("csv", "csv")
    fatal = cases.add

    def row(cid: str, line: str, error: str):
        cases.append(
            {
                "id": f"csv-row-{cid}",
                "kind": "csv",
                "text": f"{HEADER}\n{line}\n",
                "exit": 0,
                "row_error": error,
            }
        )

    fatal("empty", "", "empty file")
    fatal("header-only-blank", "\n\n", "empty file")
    fatal(
        "no-connection-column",
        HEADER.replace("connection_id,", "") + "\n",
        "no connection_id column",
    )
    fatal(
        "missing-column",
        HEADER.replace(",valid_until", "") + "\n" + ROW.rsplit(",", 1)[0],
        "needs column(s) valid_until",
    )
    fatal("unknown-column", HEADER + ",salary\n" + ROW + ",5\n", "salary are not attributes")
    fatal(
        "semicolons",
        HEADER.replace(",", ";") + "\n" + ROW.replace(",", ";") + "\n",
        "no connection_id column",
    )
    fatal(
        "latin1",
        None,
        "not UTF-8",
        raw=(HEADER + "\n" + ROW.replace("ACME", "Caf\u00e9 B.V.") + "\n").encode("latin-1"),
    )
    fatal("utf16-bom", None, "not UTF-8", raw=(HEADER + "\n" + ROW + "\n").encode("utf-16"))
    fatal("utf32", None, "not UTF-8", raw=(HEADER + "\n" + ROW + "\n").encode("utf-32"))
    fatal("binary", None, "not UTF-8", raw=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    fatal(
        "huge-field",
        HEADER + "\n" + ROW.replace("ACME", "A" * 200_000) + "\n",
        "field larger than field limit",
    )
    row("unterminated-quote", 'conn-1,"R-1,2026-10', "is missing")
    row("nul-byte", ROW.replace("ACME", "AC\x00ME"), "employer_name: has control characters")
    row(
        "escape-sequence",
        ROW.replace("ACME", "\x1b[2J\x1b[31mACME"),
        "employer_name: has control characters",
    )

    row("too-many-values", ROW + ",extra", "more values than columns")
    row("too-few-values", ROW.rsplit(",", 2)[0], "issue_date is missing")
    row("no-connection", "," + ROW.split(",", 1)[1], "connection_id is missing")
    for i, value in enumerate(
        [
            "abc",
            "1.234.56 EUR",
            "EUR",
            "--5",
            "1e5",
            "12.345 EUR",
            "1.2.3 EUR",
            "NaN EUR",
            "inf",
            "99999999999999999999 EUR",
        ]
    ):
        row(f"money-{i}", ROW.replace("1234.00 EUR", f'"{value}"'), "net_income_cents")
    for i, value in enumerate(["2026-13-01", "31-10-2026", "tomorrow", "2026-02-30", "20261399"]):
        row(f"date-{i}", ROW.replace("2026-10-31", value), "issue_date")
    for i, value in enumerate(["2026-13", "October", "202610x", "0000-00"]):
        row(f"month-{i}", ROW.replace(",2026-10,", f",{value},"), "month")
    row("empty-text", ROW.replace("ACME", "  "), "employer_name is missing")
    row("duplicate", f"{ROW}\n{ROW}", "the same credential as line 2")
    cases.append(
        {
            "id": "csv-bom-ok",
            "kind": "csv",
            "b64": b64(("\ufeff" + HEADER + "\n" + ROW + "\n").encode()),
            "exit": 0,
            "good_rows": 1,
        }
    )
    cases.append(
        {
            "id": "csv-crlf-ok",
            "kind": "csv",
            "text": HEADER + "\r\n" + ROW + "\r\n",
            "exit": 0,
            "good_rows": 1,
        }
    )
    return cases


# ------------------------------------------------------------------ proof requests (holder)


def _pres_record(indy: object) -> dict:
    return {
        "pres_ex_id": "p-1",
        "connection_id": "c-1",
        "state": "request-received",
        "by_format": {"pres_request": {"indy": indy}},
    }


GOOD_REQUEST = {
    "name": "proof",
    "version": "1.0",
    "nonce": "1234",
    "requested_attributes": {"a": {"name": "month", "restrictions": [{"schema_name": "X"}]}},
    "requested_predicates": {"p": {"name": "net_income_cents", "p_type": "<", "p_value": 150000}},
}


def proof_requests() -> list[dict]:
    cases: list[dict] = []

    def add(cid: str, record: object, error: str):
        cases.append(
            {
                "id": f"proofreq-{cid}",
                "kind": "proof_request",
                "record": record,
                "exit": 1,
                "error": error,
            }
        )

    def req(**changes: object) -> dict:
        return _pres_record(with_(GOOD_REQUEST, **changes))

    add("not-object", [1, 2], "malformed")
    add("no-id", {"state": "request-received"}, "malformed")
    add("indy-list", _pres_record([1]), "malformed")
    add("attrs-list", req(requested_attributes=[1, 2]), "requested_attributes")
    add("attr-spec-string", req(requested_attributes={"a": "month"}), "requested_attributes")
    add("attr-no-name", req(requested_attributes={"a": {"restrictions": []}}), "no name")
    add("attr-names-string", req(requested_attributes={"a": {"names": "month"}}), "names")
    add("attr-names-empty", req(requested_attributes={"a": {"names": []}}), "no name")
    add("attr-name-number", req(requested_attributes={"a": {"name": 5}}), "name")
    add(
        "attr-restrictions-dict",
        req(requested_attributes={"a": {"name": "x", "restrictions": {"a": 1}}}),
        "restrictions",
    )
    add("preds-list", req(requested_predicates=[1]), "requested_predicates")
    add("pred-spec-number", req(requested_predicates={"p": 5}), "requested_predicates")
    for i, value in enumerate(["abc", "1.5", None, [1], {"x": 1}, "", True, 10**40]):
        add(
            f"pred-value-{i}",
            req(requested_predicates={"p": {"name": "x", "p_type": ">=", "p_value": value}}),
            "p_value",
        )
    for i, p_type in enumerate(["==", "!=", "LIKE", "", None, 5]):
        add(
            f"pred-type-{i}",
            req(requested_predicates={"p": {"name": "x", "p_type": p_type, "p_value": 1}}),
            "p_type",
        )
    add("pred-no-name", req(requested_predicates={"p": {"p_type": ">=", "p_value": 1}}), "name")
    add("non-revoked-string", req(non_revoked="yesterday"), "non_revoked")
    add("non-revoked-bad-to", req(non_revoked={"to": "now"}), "non_revoked")
    add(
        "attr-non-revoked-list",
        req(requested_attributes={"a": {"name": "x", "non_revoked": [1]}}),
        "non_revoked",
    )
    return cases


# ------------------------------------------------------------------ over-asking requests

OVER_SCHEME = {
    "scheme": "svb-tas",
    "agency": {"name": "SVB", "did": "4QxzWk3ajdnEA37NdNU5Kt"},
    "credential": {"schema_name": "MedicalDeclaration"},
    "asks": {"reveal": ["diagnosis_code"], "predicates": ["diagnosis_date"]},
}


def over_asking() -> list[dict]:
    """Requests asking more than the agency's published scheme needs: the wallet's
    preview must flag them (`over_asking`), expected substring of the flag."""
    cases: list[dict] = []

    def add(cid: str, attrs: dict, preds: dict, flag: str | None):
        indy = {
            "name": "p",
            "version": "1.0",
            "nonce": "1",
            "requested_attributes": attrs,
            "requested_predicates": preds,
        }
        cases.append(
            {
                "id": f"overask-{cid}",
                "kind": "over_asking",
                "scheme": OVER_SCHEME,
                "record": _pres_record(indy),
                "exit": 0,
                "flag": flag,
            }
        )

    add("exact", {"a": {"name": "diagnosis_code"}}, {}, None)
    add(
        "predicate-allowed",
        {},
        {"p": {"name": "diagnosis_date", "p_type": ">=", "p_value": 20200101}},
        None,
    )
    add(
        "extra-attribute",
        {"a": {"names": ["diagnosis_code", "bsn"]}},
        {},
        "asks for bsn, which its stated purpose does not need",
    )
    add(
        "reveal-instead-of-predicate",
        {"a": {"name": "diagnosis_date"}},
        {},
        "asks to reveal diagnosis_date, where its stated purpose only needs a proof",
    )
    add(
        "extra-predicate",
        {},
        {"p": {"name": "income_cents", "p_type": "<", "p_value": 5}},
        "asks for a proof about income_cents",
    )
    add(
        "many-extras", {f"a{i}": {"name": f"field_{i}"} for i in range(20)}, {}, "asks for field_19"
    )
    add(
        "extra-in-group",
        {"g": {"names": ["diagnosis_code", "address", "phone"]}},
        {},
        "asks for address",
    )
    add(
        "everything",
        {"a": {"names": ["diagnosis_code", "name", "birth_date", "address"]}},
        {"p": {"name": "income_cents", "p_type": "<", "p_value": 100}},
        "This request asks more than its stated purpose (svb-tas)",
    )
    return cases


# ------------------------------------------------------------------ credential types


def credential_types() -> list[dict]:
    cases = FileCases("credtype", "credential_type")
    add = cases.add

    base = "name: IncomeStatement\nversion: '1.0'\nattributes:\n  month: {type: month}\n"
    add("top-list", "[1]\n", "expected a mapping")
    add("yaml-error", base + "  x: [\n", "not valid YAML")
    add("name-bad", base.replace("IncomeStatement", "1 bad name"), "name must be")
    add("version-float", base.replace("'1.0'", "1.0.0.0"), "version must look like 1.0")
    add("no-attributes", "name: X\nversion: '1.0'\n", "attributes must map")
    add("attr-uppercase", base.replace("month:", "Month:"), "use lowercase letters")
    add("attr-type-unknown", base.replace("type: month", "type: blob"), "type must be one of")
    add("attr-spec-list", base.replace("{type: month}", "[month]"), "expected {type, description}")
    add("description-list", base + "description: [1]\n", "description")
    add("not-utf8", base + "description: caf\udce9\n", "not UTF-8")
    add("recursive-alias", "name: &x [*x]\n", "")
    return cases


# ------------------------------------------------------------------ ledger requests (ZMQ)


def ledger_requests() -> list[dict]:
    cases: list[dict] = []

    def add(cid: str, error: str, op: str = "REQNACK", **inp: object):
        cases.append({"id": f"ledger-{cid}", "kind": "ledger", **inp, "op": op, "error": error})

    def payload(doc: object) -> str:
        return json.dumps(doc)

    add("not-json", "not UTF-8 JSON", payload="not json")
    add("not-utf8", "not UTF-8 JSON", payload_b64=b64(b"\xff\xfe\x00"))
    add("empty-frame", "not UTF-8 JSON", payload_b64="")
    add("json-array", "must be a JSON object", payload="[1,2]")
    add("json-string", "must be a JSON object", payload='"x"')
    add("json-null", "must be a JSON object", payload="null")
    add("empty-object", "no operation", payload="{}")
    add("truncated", "not UTF-8 JSON", payload='{"identifier": "V4SGRU86Z58d6TV7PBUe6f", "reqI')
    add(
        "reqid-string",
        "reqId",
        payload=payload({"identifier": "x", "reqId": "abc", "operation": {"type": "1"}}),
    )
    add(
        "reqid-float",
        "reqId",
        payload=payload(
            {"identifier": "x", "reqId": 1.5, "operation": {"type": "105", "dest": "x"}}
        ),
    )
    add(
        "reqid-bool",
        "reqId",
        payload=payload(
            {"identifier": "x", "reqId": True, "operation": {"type": "105", "dest": "x"}}
        ),
    )
    add(
        "operation-string",
        "operation",
        payload=payload({"identifier": "x", "reqId": 7, "operation": "nope"}),
    )
    add(
        "operation-no-type",
        "operation",
        payload=payload({"identifier": "x", "reqId": 7, "operation": {"dest": "x"}}),
    )
    add(
        "type-unknown",
        "not supported",
        payload=payload({"identifier": "x", "reqId": 7, "operation": {"type": "9999"}}),
    )
    add(
        "identifier-number",
        "identifier",
        payload=payload({"identifier": 5, "reqId": 7, "operation": {"type": "1"}}),
    )
    add(
        "read-no-dest",
        "",
        payload=payload({"identifier": "x", "reqId": 8, "operation": {"type": "105"}}),
    )
    add(
        "read-dest-number",
        "",
        payload=payload({"identifier": "x", "reqId": 9, "operation": {"type": "105", "dest": 5}}),
    )
    add(
        "get-txn-bad-ledger",
        "",
        payload=payload(
            {"identifier": "x", "reqId": 10, "operation": {"type": "3", "ledgerId": 99, "data": 1}}
        ),
    )
    add(
        "get-txn-data-string",
        "",
        payload=payload(
            {"identifier": "x", "reqId": 11, "operation": {"type": "3", "ledgerId": 1, "data": "x"}}
        ),
    )
    add(
        "get-schema-no-data",
        "",
        payload=payload(
            {"identifier": "x", "reqId": 12, "operation": {"type": "107", "dest": "x"}}
        ),
    )
    add(
        "get-creddef-bad-ref",
        "",
        payload=payload(
            {
                "identifier": "x",
                "reqId": 13,
                "operation": {"type": "108", "ref": "x", "origin": "y", "signature_type": "CL"},
            }
        ),
    )
    add(
        "ledger-status-bad-id",
        "Invalid ledger id",
        payload=payload({"op": "LEDGER_STATUS", "ledgerId": 42}),
    )
    add(
        "oversize-200k",
        "exceeds the limit",
        payload=payload(
            {
                "identifier": "V4SGRU86Z58d6TV7PBUe6f",
                "reqId": 42,
                "protocolVersion": 2,
                "operation": {"type": "105", "dest": "x" * 200_000},
            }
        ),
    )
    add("oversize-not-json", "not UTF-8 JSON", payload="x" * 300_000)
    add("multi-frame-2", "one message frame", frames_b64=[b64("one"), b64("two")])
    add("multi-frame-3", "one message frame", frames_b64=[b64("{}"), b64("{}"), b64("{}")])
    add("deep-nesting", "nested too deeply", payload="[" * 50000 + "]" * 50000)
    # writes, built at test time with real keys
    add("write-no-signature", "signature", recipe="nym", mutate="drop_signature")
    add("write-flipped-signature", "signature", recipe="nym", mutate="flip_signature")
    add("write-signature-garbage", "signature", recipe="nym", mutate="garbage_signature")
    add("write-signed-by-other-key", "signature", recipe="nym", mutate="other_signer")
    add("write-changed-after-signing", "signature", recipe="nym", mutate="change_dest")
    add("write-unknown-identifier", "", recipe="nym", mutate="unknown_identifier")
    add("write-no-identifier", "identifier", recipe="nym", mutate="drop_identifier")
    add("write-bad-verkey", "", recipe="nym", mutate="bad_verkey", op="ANY")
    add("write-not-authorized", "", recipe="nym", mutate="signed_by_nobody", op="ANY")
    add("write-schema-no-data", "", recipe="schema", mutate="drop_data", op="ANY")
    add("write-schema-bad-attrs", "", recipe="schema", mutate="attrs_string", op="ANY")
    add("write-endorser-number", "endorser", recipe="nym", mutate="endorser_number")
    add("write-signatures-not-dict", "", recipe="nym", mutate="signatures_list", op="ANY")
    return cases


def main() -> None:
    groups = {
        "invitations": invitations(),
        "policies": policies(),
        "schemes": schemes(),
        "agencies": agencies(),
        "genesis": genesis(),
        "csv": csv_rows(),
        "proof_requests": proof_requests(),
        "credential_types": credential_types(),
        "over_asking": over_asking(),
        "ledger": ledger_requests(),
    }
    total = 0
    seen: set[str] = set()
    for name, cases in groups.items():
        for case in cases:
            assert case["id"] not in seen, case["id"]
            seen.add(case["id"])
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for case in cases:
                out.write(json.dumps(case, ensure_ascii=True) + "\n")
        total += len(cases)
        print(f"{name}: {len(cases)}")
    print(f"total: {total}")


if __name__ == "__main__":
    main()
