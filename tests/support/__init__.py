"""What several test modules share, one module per concern.

A test module imports its helpers from here and never from another test module (checked by
``tests/architecture/test_test_helpers.py``): a test file can then be moved, split or deleted
without breaking its neighbours, and pytest never imports a test module twice under two roles.

- ``db_backends``: the SQLite / PostgreSQL fixtures (registered by ``tests/conftest.py``): fresh
  databases cloned from a template migrated once per session.
- ``api``: the GraphQL app over a runtime, spoken to over HTTP; ``api_households`` and
  ``api_cases``: the GraphQL documents and drivers reused across API modules.
- ``households``: valid resident ID numbers and household documents.
- ``layers`` and ``standards``: inline policy layers and the EXAMPLE standards (test values).
- ``cases``: pure case-machine drivers; ``payments``: cases written straight into the tables.
- ``holidays``: the 2027 holiday-table fixture; ``schedules`` and ``calendar_scene``: stored
  worlds for deadlines and calendars; ``ics``: what a calendar app's import relies on.
- ``audit_scene``: a world of cases, payments and local settings written through the stores.
- ``cli``: what every CLI test checks of a command's result.
"""
