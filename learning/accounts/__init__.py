"""Users, roles, login, and the villages officers are assigned to."""
