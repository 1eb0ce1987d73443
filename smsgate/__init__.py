"""smsgate: a self-hosted SMS verification-code and template-SMS service speaking JSMS v1."""

__version__ = "0.1.0"
