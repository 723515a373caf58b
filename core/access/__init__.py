"""Who may do what: roles and permissions, users and tokens."""
