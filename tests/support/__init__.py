"""What tests share: fixtures' building blocks, tenants, clocks, ports. Fixtures themselves stay
in conftest.py (pytest finds them there); their logic and the types tests import live here."""
