"""Versioned warehouse migrations: ``NNN_name.sql``, applied in order, each recorded once
in ``schema_migrations``. Installed as the package ``owingest.store.migrations``."""
