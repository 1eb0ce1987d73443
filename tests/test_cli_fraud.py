"""`smsgate app update` pumping-defence and cap options, `smsgate fraud status|events`."""

from tests.support.cli import CliRun, as_json


def test_fraud_options_are_set_shown_and_checked(run: CliRun) -> None:
    key = as_json(run("app", "create", "--name", "shop", "--json"))["app_key"]
    updated = as_json(
        run(
            "app", "update", key, "--fraud-mode", "enforce", "--allow-country", "cn,hk",
            "--block-prefix", "+86170", "--hourly-cap", "100", "--country-cap", "HK=5/-", "--json",
        )
    )  # fmt: skip
    assert updated["fraud_mode"] == "enforce"
    assert (updated["allowed_countries"], updated["blocked_prefixes"]) == ("CN,HK", "+86170")
    assert (updated["hourly_cap"], updated["country_caps"]) == (100, {"HK": {"hourly": 5}})
    refused = run("app", "update", key, "--allow-country", "XX", "--name", "other", ok=False)
    assert "not a country" in refused.output
    status = as_json(run("fraud", "status", key, "--json"))
    assert (status["allowed_countries"], status["spend"]) == ("CN,HK", [])
    back = as_json(run("app", "update", key, "--allow-country", "default", "--json"))
    assert (back["name"], back["allowed_countries"]) == (
        "shop",
        "CN",
    )  # the refused one changed nothing
    assert as_json(run("fraud", "events", key, "--json")) == []
