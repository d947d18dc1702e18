"""Cross-cutting pieces: settings, database, migrations, errors, i18n, time."""
