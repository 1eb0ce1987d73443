"""The SMPP 3.4 provider: transceiver binds to a carrier's SMSC."""
