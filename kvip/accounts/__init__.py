"""Users, memberships, roles, login and API tokens."""
