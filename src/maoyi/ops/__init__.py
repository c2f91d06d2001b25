"""Operations: commands an administrator runs on the installation as a whole (backup, restore,
benchmark data). Above every domain app; nothing imports it."""
