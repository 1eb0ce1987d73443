"""Access policy: who may call at all (a blacklisted app, 50036; an IP allowlist, 50035)."""
