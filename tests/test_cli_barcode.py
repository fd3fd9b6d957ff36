"""`kiosk barcode parse DATA [--json] [--config FILE]` (SPEC section 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk import cli


@pytest.fixture(autouse=True)
def only_the_barcode_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # Load just this command group, so these tests exercise `kiosk barcode` through
    # cli.main whatever state the other command groups are in.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("kiosk.commands.barcode",))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["barcode", "parse", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_for_an_ean_13(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "]E06901234567892", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["kind"] == "gtin"
    assert document["gtin"] == "06901234567892"
    assert document["symbology"] == "]E0"
    for key in ("weight_g", "price_minor", "count", "expiry", "best_before", "lot", "serial"):
        assert document[key] is None
    assert document["ai"] == {}
    assert out.count("\n") == 1  # exactly one JSON object


def test_json_for_gs1_with_escaped_gs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, r"]C10106901234567892172512311012AB\x1d3103001234", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["kind"] == "gs1"
    assert document["expiry"] == "2025-12-31"
    assert document["lot"] == "12AB"
    assert document["weight_g"] == 1234
    assert document["ai"] == {
        "01": "06901234567892",
        "17": "251231",
        "10": "12AB",
        "3103": "001234",
    }


def test_json_for_an_invalid_scan_is_an_error_object_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "6901234567893", "--json")
    assert code == 1
    assert json.loads(out) == {"error": "check digit should be 2, got 3"}


def test_json_for_a_payment_code_masks_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "134567890123456789", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["kind"] == "payment_code"
    assert document["payment_provider"] == "wechat"
    assert "134567890123456789" not in out + err


def test_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, r"]C10106901234567892\x1d3922001299")
    assert code == 0
    lines = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in out.splitlines()
    }
    assert lines["kind"] == "gs1"
    assert lines["price_minor"] == "1299"
    assert lines["ai"] == "(01)06901234567892(3922)001299"
    assert lines["raw"] == "0106901234567892<GS>3922001299"


def test_human_invalid_scan_goes_to_stderr_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "]C117251301")
    assert code == 1
    assert out == ""
    assert "AI 17: month 13 out of range" in err


def test_config_file_sets_scale_layouts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '[store]\nname = "x"\n\n[barcodes]\ncurrency = "EUR"\n'
        '[[barcodes.variable_measure]]\npattern = "FFIIIIIWWWWWC"\nprefixes = ["28"]\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "2812345015001", "--json", "--config", str(config))
    assert code == 0
    document = json.loads(out)
    assert (document["kind"], document["item_code"], document["weight_g"]) == (
        "variable_measure",
        "12345",
        1500,
    )


def test_config_file_without_barcodes_table_uses_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[store]\nname = "x"\n', encoding="utf-8")
    code, out, _ = run(capsys, "2110001005008", "--json", "--config", str(config))
    assert code == 0
    assert json.loads(out)["price_minor"] == 500


def test_bad_config_names_file_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[barcodes]\ncolour = "red"\n', encoding="utf-8")
    code, _, err = run(capsys, "6901234567892", "--config", str(config))
    assert code == 1
    assert f"{config}: [barcodes] colour: unknown key" in err


def test_unreadable_or_broken_config_is_a_config_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "6901234567892", "--config", str(tmp_path / "missing.toml"))
    assert code == 1
    assert "missing.toml: cannot read the config file" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("[barcodes\n", encoding="utf-8")
    code, _, err = run(capsys, "6901234567892", "--config", str(broken))
    assert code == 1
    assert "broken.toml: not valid TOML" in err
