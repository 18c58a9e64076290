"""Operations: systemd notify, health registry, shutdown control, metrics."""
